/**
 * The operations app, a Hono app for everything under `/__lb`: request id, config, the `ops` routes;
 * one onError maps every failure to JSON. Proxied traffic does not pass through it (see index.ts).
 */
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppEnv } from '../app-env';
import { loadConfig } from '../config/load';
import { errorResponse } from '../errors';
import { requestIdOf } from '../log';
import { ops } from './ops-app';

/** The operations paths: `/__lb` and everything below it. */
export const OPS_PREFIX = '/__lb';

// Not strict: `/__lb` and `/__lb/` are the same page.
export const app = new Hono<AppEnv>({ strict: false });

// `headerName: ''`: the id is always ours, never a client's header.
app.use(requestId({ headerName: '', generator: (c) => requestIdOf(c.req.raw) }));
app.use(loadConfig);
app.route(OPS_PREFIX, ops);
app.onError(errorResponse);
