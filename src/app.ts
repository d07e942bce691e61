/**
 * The Hono app: config first, then the proxy catch-all; one onError maps every failure to JSON.
 */
import { Hono } from 'hono';
import type { AppEnv } from './app-env';
import { loadConfig } from './config-middleware';
import { errorResponse } from './errors';
import { proxy } from './proxy';

export const app = new Hono<AppEnv>();

app.use(loadConfig);
app.all('*', proxy);
app.onError((error) => {
  if (!(error instanceof Error && 'status' in error)) {
    console.error(JSON.stringify({ msg: 'unhandled error', error: String(error) }));
  }
  return errorResponse(error);
});
