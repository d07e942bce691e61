/**
 * The proxy handler: pick the request's node, forward to it, log the outcome.
 */
import type { Context } from 'hono';
import type { AppEnv } from './app-env';
import { EdgeError } from './errors';
import { forward } from './forward';
import { isWebSocketHandshake } from './headers';
import { logRequest } from './log';
import { readPin, route } from './routing';

/** Seconds a client is asked to wait when no node can take its request. */
const RETRY_AFTER_S = 5;

export async function proxy(c: Context<AppEnv>): Promise<Response> {
  const config = c.get('config');
  const request = c.req.raw;
  const url = new URL(request.url);
  if (url.pathname !== config.pathPrefix && !url.pathname.startsWith(`${config.pathPrefix}/`)) {
    throw new EdgeError(404, 'not_found', `only ${config.pathPrefix} and paths below it are routed here`);
  }
  const started = Date.now();
  const log = {
    method: request.method,
    path: url.pathname,
    webSocket: isWebSocketHandshake(request.headers),
  };
  const chosen = route(
    readPin(url, request.headers.get('cookie'), config),
    config,
    () => true,
    Math.random(),
  );
  if (!chosen) {
    logRequest({ ...log, node: null, reason: null, status: 503, durationMs: Date.now() - started });
    throw new EdgeError(
      503,
      'no_node_available',
      'no Co-browse node can take this request now',
      {},
      { 'retry-after': String(RETRY_AFTER_S) },
    );
  }
  const result = await forward(request, chosen.node, config.connectTimeoutMs);
  const entry = { ...log, node: chosen.node.id, reason: chosen.reason };
  if (result.ok) {
    logRequest({ ...entry, status: result.response.status, durationMs: Date.now() - started });
    return result.response;
  }
  const status = result.failure === 'timeout' ? 504 : 502;
  logRequest({ ...entry, status, durationMs: Date.now() - started, failure: result.detail });
  throw new EdgeError(
    status,
    result.failure === 'timeout' ? 'node_timeout' : 'node_unreachable',
    `node ${chosen.node.id} ${result.failure === 'timeout' ? 'sent no response in time' : 'cannot be reached'}: ${result.detail}`,
    { node: chosen.node.id },
  );
}
