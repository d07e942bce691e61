/**
 * Admin authentication: `ADMIN_TOKEN` (a wrangler secret, at least 32 characters) is the only
 * credential.
 *
 * - No token configured: every admin endpoint answers 404, as if it did not exist (off, not open).
 * - `Authorization: Bearer <token>`: the API, for curl and scripts.
 * - `Authorization: Basic <any user>:<token>`: the status page, whose browser prompt sends it. The
 *   browser files it for `/__lb/` only (the page lives there; `/__lb` redirects without a challenge),
 *   and the router never forwards `Authorization` to a node (proxy/headers.ts). A browser re-sends
 *   Basic credentials on its own, so a state-changing request authenticated that way must come from
 *   this origin (`Sec-Fetch-Site: same-origin` or a matching `Origin`) and carry the page's form token
 *   (admin/form-token.ts): neither another site nor a same-site page can act for the operator.
 *
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`: constant time, whatever their lengths.
 * Failed attempts are counted per client key by the health board (admin/login-lockout.ts), so the
 * lockout holds in every isolate.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env';
import { EdgeError } from '../errors';
import { boardOf } from '../health/board-stub';
import { clientKey, tooManyRequests } from '../proxy/rate-limits';
import { acceptedFormTokens, FORM_TOKEN_FIELD, isForm } from './form-token';
import { LOCK_MS } from './login-lockout';

const LOCKED_OUT = `too many failed admin logins from this address: try again in ${LOCK_MS / 1000} s`;

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

/** Does a browser's state-changing request carry the page's form token (form field or header)? */
async function carriesFormToken(c: Context<AppEnv>, secret: string): Promise<boolean> {
  const form = isForm(c.req.header('content-type')) ? await c.req.parseBody() : {};
  const given = c.req.header(FORM_TOKEN_FIELD) ?? form[FORM_TOKEN_FIELD];
  if (typeof given !== 'string') return false;
  const accepted = await acceptedFormTokens(secret, Date.now());
  const matches = await Promise.all(accepted.map((token) => sameToken(given, token)));
  return matches.includes(true);
}

export const requireAdmin = createMiddleware<AppEnv>(async function requireAdmin(c, next) {
  const expected = c.env.ADMIN_TOKEN;
  if (typeof expected !== 'string' || expected === '') {
    throw new EdgeError(404, 'not_found', 'the admin endpoints are off: no ADMIN_TOKEN is set');
  }
  const key = clientKey(c.req.raw.headers);
  const board = boardOf(c.env);
  if (await board.adminLockedOut(key)) throw tooManyRequests('too_many_attempts', LOCKED_OUT);
  const credentials = presented(c.req.header('authorization'));
  if (!credentials || !(await sameToken(credentials.token, expected))) {
    if (await board.adminLoginFailed(key)) throw tooManyRequests('too_many_attempts', LOCKED_OUT);
    throw new EdgeError(
      401,
      'unauthorized',
      'send Authorization: Bearer <ADMIN_TOKEN>',
      {},
      { 'www-authenticate': 'Basic realm="cobrowse-edge", Bearer realm="cobrowse-edge"' },
    );
  }
  if (credentials.scheme === 'basic' && !['GET', 'HEAD'].includes(c.req.method)) {
    if (!fromThisOrigin(c.req.raw) || !(await carriesFormToken(c, expected))) {
      throw new EdgeError(
        403,
        'cross_site_refused',
        'a browser may change node state only from the status page',
      );
    }
  }
  await next();
});
