/**
 * Admin authentication: `ADMIN_TOKEN` (a wrangler secret) is the only credential.
 *
 * - No token configured: every admin endpoint answers 404, as if it did not exist (off, not open).
 * - `Authorization: Bearer <token>`: the API, for curl and scripts.
 * - `Authorization: Basic <any user>:<token>`: the status page, whose browser prompt sends it. A browser
 *   re-sends Basic credentials on its own, so a state-changing request authenticated that way must also
 *   come from this origin (`Sec-Fetch-Site: same-origin` or a matching `Origin`): no cross-site forms.
 *
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`: constant time, whatever their lengths.
 * Failed attempts are rate limited per client address (`ADMIN_AUTH_LIMIT`, proxy/rate-limits.ts).
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { EdgeError } from '../errors';
import {
  clientAddress,
  isLockedOut,
  LIMIT_PERIOD_S,
  lockOut,
  overLimit,
  tooManyRequests,
} from '../proxy/rate-limits';

const LOCKED_OUT = `too many failed admin logins from this address: try again in ${LIMIT_PERIOD_S} s`;

const encoder = new TextEncoder();

async function sameToken(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all(
    [given, expected].map((text) => crypto.subtle.digest('SHA-256', encoder.encode(text))),
  );
  return crypto.subtle.timingSafeEqual(a as ArrayBuffer, b as ArrayBuffer);
}

/** The token a request presents, and how. */
function presented(header: string | undefined): { scheme: 'bearer' | 'basic'; token: string } | undefined {
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

function fromThisOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  return request.headers.get('origin') === new URL(request.url).origin;
}

export const requireAdmin = createMiddleware<AppEnv>(async function requireAdmin(c, next) {
  const expected = c.env.ADMIN_TOKEN;
  if (typeof expected !== 'string' || expected === '') {
    throw new EdgeError(404, 'not_found', 'the admin endpoints are off: no ADMIN_TOKEN is set');
  }
  const address = clientAddress(c.req.raw);
  if (isLockedOut(address, Date.now())) throw tooManyRequests('too_many_attempts', LOCKED_OUT);
  const credentials = presented(c.req.header('authorization'));
  if (!credentials || !(await sameToken(credentials.token, expected))) {
    if (await overLimit(c.env.ADMIN_AUTH_LIMIT, address)) {
      lockOut(address, Date.now());
      throw tooManyRequests('too_many_attempts', LOCKED_OUT);
    }
    throw new EdgeError(
      401,
      'unauthorized',
      'send Authorization: Bearer <ADMIN_TOKEN>',
      {},
      { 'www-authenticate': 'Basic realm="cobrowse-edge", Bearer realm="cobrowse-edge"' },
    );
  }
  if (
    credentials.scheme === 'basic' &&
    !['GET', 'HEAD'].includes(c.req.method) &&
    !fromThisOrigin(c.req.raw)
  ) {
    throw new EdgeError(
      403,
      'cross_site_refused',
      'a browser may change node state only from the status page',
    );
  }
  await next();
});
