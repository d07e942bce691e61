/**
 * The Hono app: request id, config, the `/__lb` operations sub-app, then the proxy catch-all; one
 * onError maps every failure to JSON.
 */
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { ops } from './admin/ops-app';
import type { AppEnv } from './app-env';
import { loadConfig } from './config-middleware';
import { errorResponse } from './errors';
import { logEvent } from './log';
import { proxy } from './proxy';

// Not strict: `/__lb` and `/__lb/` are the same page.
export const app = new Hono<AppEnv>({ strict: false });

// Every request's id, for the logs and the node: Cloudflare's CF-Ray when there is one (it ties our log
// line to Cloudflare's own), else a UUID. `headerName: ''`: a client's own X-Request-Id is not trusted.
app.use(requestId({ headerName: '', generator: (c) => c.req.header('cf-ray') ?? crypto.randomUUID() }));
app.use(loadConfig);
app.route('/__lb', ops);
app.all('*', proxy);
app.onError((error) => {
  if (!(error instanceof Error && 'status' in error)) {
    logEvent('unhandled error', { error: String(error) }, 'error');
  }
  return errorResponse(error);
});
