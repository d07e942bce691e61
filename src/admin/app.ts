/**
 * The operations app, a Hono app for everything under `/__lb`: request id, the headers that keep its
 * pages unframable and uncached, config, the `ops` routes; one onError maps every failure to JSON.
 * Proxied traffic does not pass through it (see index.ts).
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../app-env';
import { loadConfig } from '../config/load';
import { errorResponse } from '../errors';
import { requestIdOf } from '../log';
import { ops } from './ops-app';

/** The operations paths: `/__lb` and everything below it. */
export const OPS_PREFIX = '/__lb';

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
app.use(loadConfig);
app.route(OPS_PREFIX, ops);
app.onError(errorResponse);
