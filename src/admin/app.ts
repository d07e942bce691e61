/**
 * The operations app, a Hono app for everything under `/__lb`, and for every request to ADMIN_HOST:
 * request id, the headers that keep its pages unframable and uncached, config, the host the admin
 * plane answers on, the `ops` routes; one onError maps every failure to JSON. Proxied traffic does
 * not pass through it (see index.ts).
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { configFor } from '../config/load';
import { EdgeError, errorResponse } from '../lib/errors';
import { requestIdOf } from '../lib/log';
import { isWithin } from '../worker/routing';
import type { AppEnv } from './app-env';
import { ops } from './ops-app';

/** The operations paths: `/__lb` and everything below it. */
export const OPS_PREFIX = '/__lb';
/** The router's own liveness: answered on every host (it tells nothing), for uptime checks. */
const LIVENESS_PATH = `${OPS_PREFIX}/health`;

export const app = new Hono<AppEnv>({ strict: false });

// `headerName: ''`: the id is always ours, never a client's header.
app.use(requestId({ headerName: '', generator: (c) => requestIdOf(c.req.raw.headers) }));
/**
 * Every `/__lb` response, errors included: never framed (X-Frame-Options and CSP `frame-ancestors`:
 * a framed page's buttons could be clicked for the operator), a CSP that allows only what the page
 * uses (its inline style; forms to itself; no script at all), never cached, never sniffed.
 */
app.use(
  secureHeaders({
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  }),
);
app.use(
  createMiddleware(async function noStore(c, next) {
    await next();
    c.header('cache-control', 'no-store');
  }),
);
/**
 * The page lives at `/__lb/` only: a 401 at `/__lb` would make a browser file its Basic credentials
 * for the whole host (the directory of `/__lb` is `/`), and send them with every request to it.
 */
app.use(
  createMiddleware(async function underOwnDirectory(c, next) {
    // The raw path: Hono's `c.req.path` drops a trailing slash here (strict: false).
    const url = new URL(c.req.url);
    if (url.pathname !== OPS_PREFIX) return next();
    return c.redirect(`${OPS_PREFIX}/${url.search}`, 308);
  }),
);
app.use(
  createMiddleware<AppEnv>(async function loadConfig(c, next) {
    c.set('config', configFor(c.env));
    await next();
  }),
);
/**
 * With ADMIN_HOST set, the admin plane answers there and only there (its liveness check aside), and
 * that host serves nothing else: no page a node serves shares the admin plane's origin.
 */
app.use(
  createMiddleware<AppEnv>(async function onItsOwnHost(c, next) {
    const { host } = c.get('config').admin;
    if (!host) return next();
    const url = new URL(c.req.url);
    const onAdminHost = url.hostname === host;
    if (onAdminHost && !isWithin(url.pathname, OPS_PREFIX)) {
      throw new EdgeError(
        404,
        'not_found',
        'this host serves the router\u2019s admin plane only, under /__lb/',
      );
    }
    if (!onAdminHost && url.pathname !== LIVENESS_PATH) {
      throw new EdgeError(404, 'not_found', 'no such operations endpoint');
    }
    return next();
  }),
);
app.route(OPS_PREFIX, ops);
app.onError(errorResponse);
