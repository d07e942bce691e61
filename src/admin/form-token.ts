/**
 * The token the status page's forms carry, so that only the page itself can change a node's state
 * with the browser's Basic credentials: a page of another site, or a same-site page that frames ours
 * (framing is refused anyway), cannot read it. Basic authentication has no sessions, so the token is
 * derived from the admin token and the day (HMAC-SHA256), and yesterday's is still accepted, so a
 * page left open across midnight still works.
 */
import type { HonoRequest } from 'hono';
import { hmacSha256Hex } from '../lib/hmac';

const DAY_MS = 86_400_000;

/** The form field, or header, that carries the token. */
export const FORM_TOKEN_FIELD = 'form-token';
/** The roster page's field for the roster token, typed by the operator for each change (admin/auth.ts). */
export const ROSTER_TOKEN_FIELD = 'roster-token';

function tokenFor(secret: string, day: number): Promise<string> {
  return hmacSha256Hex(secret, `cobrowse-edge forms ${day}`);
}

/**
 * What a page's forms need: the form token, and whether roster changes are on (ROSTER_TOKEN set; each
 * roster form then asks for it). Undefined: the page only reads here (admin/auth.ts: no ADMIN_HOST).
 */
export type PageForms = { readonly token: string; readonly roster: boolean } | undefined;

/** Is this request a form post (the status and roster pages' forms)? */
export function isForm(request: HonoRequest): boolean {
  return request.header('content-type')?.startsWith('application/x-www-form-urlencoded') === true;
}

/** The fields of a form post, or none for any other body (Hono keeps the parsed body for later reads). */
export async function formOf(request: HonoRequest): Promise<Record<string, unknown>> {
  return isForm(request) ? await request.parseBody() : {};
}

/** The token for a page rendered at `time`. */
export function formToken(secret: string, time: number): Promise<string> {
  return tokenFor(secret, Math.floor(time / DAY_MS));
}

/** The tokens accepted at `now`: today's and yesterday's. */
export function acceptedFormTokens(secret: string, now: number): Promise<string[]> {
  return Promise.all([formToken(secret, now), formToken(secret, now - DAY_MS)]);
}
