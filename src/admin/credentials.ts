/**
 * The admin credentials a request presents, and what a token grants (admin/auth.ts decides what each
 * may do). Pure but for the digests.
 */

/** Who an authenticated admin request is, as auth.ts sets it on the context. */
export interface AdminCredential {
  /** How it authenticated: a Bearer token (a script), or a browser's Basic login or Access cookie. */
  readonly kind: 'bearer' | 'basic' | 'access';
  /** Did it present the roster token (Bearer only)? */
  readonly roster: boolean;
  /** For the audit log: the credential and the client's address. */
  readonly who: string;
}

const encoder = new TextEncoder();

/** Constant time, whatever the lengths: the two texts' SHA-256 digests compared with `timingSafeEqual`. */
export async function sameToken(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all(
    [given, expected].map((text) => crypto.subtle.digest('SHA-256', encoder.encode(text))),
  );
  return crypto.subtle.timingSafeEqual(a as ArrayBuffer, b as ArrayBuffer);
}

/** The token a request presents, and how; undefined for no `Authorization` or one of another form. */
export function presented(
  header: string | undefined,
): { scheme: 'bearer' | 'basic'; token: string } | undefined {
  const match = /^(Bearer|Basic) +(\S+)$/i.exec(header ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  if (match[1].toLowerCase() === 'bearer') return { scheme: 'bearer', token: match[2] };
  let decoded: string;
  try {
    decoded = atob(match[2]);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { scheme: 'basic', token: decoded.slice(colon + 1) };
}

/**
 * Which token was presented: `admin`, `roster` (as Bearer only: the roster token is never a browser's
 * login, which the browser would then send on its own), or undefined for neither.
 */
export async function tokenGrant(
  credentials: { scheme: 'bearer' | 'basic'; token: string },
  env: { readonly ADMIN_TOKEN?: string; readonly ROSTER_TOKEN?: string },
): Promise<'admin' | 'roster' | undefined> {
  const roster = env.ROSTER_TOKEN;
  const [isAdmin, isRoster] = await Promise.all([
    sameToken(credentials.token, env.ADMIN_TOKEN ?? ''),
    roster ? sameToken(credentials.token, roster) : false,
  ]);
  if (isAdmin && env.ADMIN_TOKEN) return 'admin';
  return isRoster && credentials.scheme === 'bearer' ? 'roster' : undefined;
}
