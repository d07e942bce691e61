/**
 * Admin authentication ({@link authenticate}) and what each credential may do ({@link allow}).
 *
 * Credentials (config/admin-config.ts says where each is set):
 * - `Authorization: Bearer <ADMIN_TOKEN>`: read, and the node actions (drain, disable, enable).
 * - `Authorization: Bearer <ROSTER_TOKEN>`: that, and runtime roster changes: a node's URL is where the
 *   router sends traffic, so the token for it is not the one every status-page login and scraper holds.
 * - `Authorization: Basic <any user>:<ADMIN_TOKEN>`: the status page, whose browser prompt sends it.
 * - With Cloudflare Access configured, Access's assertion is required on every admin request, and is
 *   by itself the browser's login (no Basic prompt behind Access).
 *
 * A browser re-sends Basic credentials and Access's cookie on its own, so what it may do is held to
 * more. Without the admin host (`ADMIN_HOST`: no proxied page shares that origin), its login serves only
 * the pages the operator opens, reading (a script's fetch is refused), and changes take a Bearer token.
 * State-changing requests are taken only on the admin host, only from the page itself
 * (`Sec-Fetch-Site: same-origin` or a matching `Origin`, and the page's form token), and a roster change
 * only with the roster token typed into its form. Bearer tokens are never sent by a browser on its own.
 *
 * What a request costs before it is known to carry a credential is kept off the health board, the one
 * global object that also runs health: a key the board locked out is refused from this isolate's
 * memory; no credential, a 401 at once; then `ADMIN_REQUEST_LIMIT` per client key; only then the board's
 * lockout check, and a failed login is counted there (board/login-lockout.ts), so the lockout holds in
 * every isolate. Tokens are compared as SHA-256 digests with `timingSafeEqual`.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { LOCK_MS } from '../board/login-lockout';
import { EdgeError } from '../lib/errors';
import { boardOf } from '../wire/board-stub';
import { clientKey, overLimit, tooManyRequests } from '../worker/rate-limits';
import { ACCESS_ASSERTION_HEADER } from './access';
import { adminMemory } from './admin-memory';
import type { AppEnv } from './app-env';
import { type AdminCredential, presented, sameToken, tokenGrant } from './credentials';
import { acceptedFormTokens, FORM_TOKEN_FIELD, formOf, ROSTER_TOKEN_FIELD } from './form-token';

const LOCKED_OUT = `too many failed admin logins from this address: try again in ${LOCK_MS / 1000} s`;

function unauthorized(): EdgeError {
  return new EdgeError(
    401,
    'unauthorized',
    'send Authorization: Bearer <ADMIN_TOKEN>',
    {},
    { 'www-authenticate': 'Basic realm="cobrowse-edge", Bearer realm="cobrowse-edge"' },
  );
}

/**
 * Who is asking (`c.var.admin`), or the refusal: 404 when the admin plane is off, 403 without a
 * valid Access assertion (when Access is configured), 401 without a valid token, 429 when locked out
 * or over ADMIN_REQUEST_LIMIT.
 */
export const authenticate = createMiddleware<AppEnv>(async function authenticate(c, next) {
  if (!c.env.ADMIN_TOKEN) {
    throw new EdgeError(404, 'not_found', 'the admin endpoints are off: no ADMIN_TOKEN is set');
  }
  const { access } = c.get('config').admin;
  const address = c.req.header('cf-connecting-ip') ?? 'an unknown address';
  let accessIdentity: string | undefined;
  if (access) {
    const check = await adminMemory.accessKeys.check(
      c.req.header(ACCESS_ASSERTION_HEADER) ?? null,
      access,
      Date.now(),
    );
    if (!check.ok) {
      throw new EdgeError(
        403,
        'access_required',
        `the admin plane is behind Cloudflare Access: ${check.why}`,
      );
    }
    accessIdentity = check.identity;
  }
  const key = clientKey(c.req.raw.headers);
  if (adminMemory.lockouts.isLocked(key, Date.now())) throw tooManyRequests('too_many_attempts', LOCKED_OUT);
  const credentials = presented(c.req.header('authorization'));
  if (!credentials) {
    if (accessIdentity === undefined) throw unauthorized();
    c.set('admin', { kind: 'access', roster: false, who: `Access: ${accessIdentity} from ${address}` });
    return browserMayRead(c, next);
  }
  if (await overLimit(c.env.ADMIN_REQUEST_LIMIT, key)) {
    throw tooManyRequests('too_many_admin_requests', 'too many admin requests from this address');
  }
  const board = boardOf(c.env);
  const lockedUntil = await board.adminLockedOut(key);
  if (lockedUntil > 0) {
    adminMemory.lockouts.locked(key, lockedUntil);
    throw tooManyRequests('too_many_attempts', LOCKED_OUT);
  }
  const grant = await tokenGrant(credentials, c.env);
  if (!grant) {
    await failedLogin(c, key);
    throw unauthorized();
  }
  const by = accessIdentity === undefined ? '' : ` (Access: ${accessIdentity})`;
  c.set('admin', {
    kind: credentials.scheme,
    roster: grant === 'roster',
    who: `${credentials.scheme} ${grant} token${by} from ${address}`,
  });
  return credentials.scheme === 'bearer' ? next() : browserMayRead(c, next);
});

/**
 * Without ADMIN_HOST, the admin plane shares its origin with every page the router serves: a browser's
 * login there serves the pages the operator opens (navigations), never a script's request, which a
 * page served through the router could send to read the status with the operator's login. Browsers
 * that send no fetch metadata (`Sec-Fetch-Mode`) are taken as navigations.
 */
async function browserMayRead(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
  const mode = c.req.header('sec-fetch-mode');
  if (c.get('config').admin.host || mode === undefined || mode === 'navigate') return next();
  throw new EdgeError(
    403,
    'read_only_here',
    'on this host a browser login serves the pages an operator opens, not a script: set ADMIN_HOST, or send Authorization: Bearer',
  );
}

/** Counts a failed login at the board; throws the 429 when the key is locked out by it. */
async function failedLogin(c: Context<AppEnv>, key: string): Promise<void> {
  const lockedUntil = await boardOf(c.env).adminLoginFailed(key);
  if (lockedUntil === 0) return;
  adminMemory.lockouts.locked(key, lockedUntil);
  throw tooManyRequests('too_many_attempts', LOCKED_OUT);
}

/** What a state-changing route needs: a node action (`operate`) or a roster change (`roster`). */
export type Scope = 'operate' | 'roster';

/** Lets an authenticated request change state when its credential may ({@link authenticate}). */
export const allow = (scope: Scope) =>
  createMiddleware<AppEnv>(async function allowed(c, next) {
    if (scope === 'roster' && !c.env.ROSTER_TOKEN) {
      throw new EdgeError(
        403,
        'roster_changes_off',
        'runtime roster changes are off: no ROSTER_TOKEN is set',
      );
    }
    const admin = c.get('admin');
    if (admin.kind !== 'bearer') await fromTheAdminPage(c, admin);
    if (scope === 'roster' && !admin.roster && !(await typedRosterToken(c, admin))) {
      throw new EdgeError(403, 'roster_token_required', 'a roster change takes the ROSTER_TOKEN');
    }
    await next();
  });

/** A browser's change must come from the status page, on the admin host: else a 403. */
async function fromTheAdminPage(c: Context<AppEnv>, admin: AdminCredential): Promise<void> {
  if (!c.get('config').admin.host) {
    throw new EdgeError(
      403,
      'read_only_here',
      `the status page only reads on this host (${admin.kind} login): set ADMIN_HOST to act from it, or send Authorization: Bearer`,
    );
  }
  if (!fromThisOrigin(c.req.raw) || !(await carriesFormToken(c, c.env.ADMIN_TOKEN as string))) {
    throw new EdgeError(
      403,
      'cross_site_refused',
      'a browser may change node state only from the status page',
    );
  }
}

/** Did the operator type the roster token into the page's form? A wrong one counts as a failed login. */
async function typedRosterToken(c: Context<AppEnv>, admin: AdminCredential): Promise<boolean> {
  if (admin.kind === 'bearer') return false;
  const typed = (await formOf(c.req))[ROSTER_TOKEN_FIELD];
  if (typeof typed !== 'string' || typed === '') return false;
  if (await sameToken(typed, c.env.ROSTER_TOKEN as string)) return true;
  await failedLogin(c, clientKey(c.req.raw.headers));
  return false;
}

function fromThisOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  return request.headers.get('origin') === new URL(request.url).origin;
}

/** Does a browser's state-changing request carry the page's form token (form field or header)? */
async function carriesFormToken(c: Context<AppEnv>, secret: string): Promise<boolean> {
  const given = c.req.header(FORM_TOKEN_FIELD) ?? (await formOf(c.req))[FORM_TOKEN_FIELD];
  if (typeof given !== 'string') return false;
  const accepted = await acceptedFormTokens(secret, Date.now());
  const matches = await Promise.all(accepted.map((token) => sameToken(given, token)));
  return matches.includes(true);
}
