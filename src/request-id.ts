/**
 * Gives every request an id for the logs and the node: Cloudflare's `CF-Ray` when there is one (it
 * ties our log line to Cloudflare's own), else a random UUID.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './app-env';

export const assignRequestId = createMiddleware<AppEnv>(async function assignRequestId(c, next) {
  c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID());
  await next();
});
