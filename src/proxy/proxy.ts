/**
 * The proxy handler: read health, choose the node, forward, retry where nothing can have been
 * processed, report failures to the health board off the response path, log the outcome.
 */
import type { AppEnv } from '../app-env';
import { configFor } from '../config/load';
import { EdgeError, errorResponse } from '../errors';
import { availabilityFrom } from '../health/availability';
import { readHealth, reportFailure } from '../health/snapshot';
import { logRequest, type RequestLog, requestIdOf } from '../log';
import { type Forwarded, forward, sendsBody } from './forward';
import { isWebSocketHandshake } from './headers';
import { isWithin, type Route, readPin, retryRoute, route } from './routing';

/** Seconds a client is asked to wait when no node can take its request. */
const RETRY_AFTER_S = 5;

/** Answers from a node that count against its health (it is failing, not the request). */
const GATEWAY_FAILURES = new Set([502, 503, 504]);

/**
 * Can this request be sent to another node after its node failed without answering? workerd reports
 * a refused connection and one reset after the request went out with the same error, so a request
 * with a body may have been processed: only bodyless safe methods qualify, WebSocket handshakes
 * (GETs) among them.
 */
function isReplayable(request: Request): boolean {
  return !sendsBody(request) && ['GET', 'HEAD', 'OPTIONS'].includes(request.method);
}

/**
 * Answers one client request whose parsed URL is `url`: the node's response, or the JSON error the
 * client gets instead (every failure, expected or not, becomes one).
 */
export async function proxy(
  request: Request,
  url: URL,
  env: AppEnv['Bindings'],
  ctx: ExecutionContext,
): Promise<Response> {
  try {
    return await routeAndForward(request, url, env, ctx);
  } catch (error) {
    return errorResponse(error);
  }
}

async function routeAndForward(
  request: Request,
  url: URL,
  env: AppEnv['Bindings'],
  ctx: ExecutionContext,
): Promise<Response> {
  const config = configFor(env);
  if (!isWithin(url.pathname, config.pathPrefix)) {
    throw new EdgeError(404, 'not_found', `only ${config.pathPrefix} and paths below it are routed here`);
  }
  const started = Date.now();
  const requestId = requestIdOf(request);
  const webSocket = isWebSocketHandshake(request.headers);
  const tried = new Set<string>();
  /** The request's one log line; `retriedFrom` lists the nodes that failed before `node`. */
  const logAs = (outcome: Pick<RequestLog, 'node' | 'reason' | 'status'> & { failure?: string }) => {
    const retriedFrom = [...tried].filter((id) => id !== outcome.node);
    logRequest(
      {
        requestId,
        method: request.method,
        path: url.pathname,
        webSocket,
        ...outcome,
        durationMs: Date.now() - started,
        ...(retriedFrom.length > 0 ? { retriedFrom } : {}),
      },
      config.logRequests,
    );
  };
  const availabilityOf = availabilityFrom(await readHealth(env, ctx));
  let chosen = route(
    readPin(url, request.headers.get('cookie'), config),
    config,
    availabilityOf,
    Math.random(),
  );
  let failed: { route: Route; result: Extract<Forwarded, { ok: false }> } | undefined;

  while (chosen) {
    const result = await forward(request, url, chosen.node, {
      headerTimeoutMs: config.connectTimeoutMs,
      requestId,
      webSocket,
    });
    if (result.ok) {
      const { status } = result.response;
      if (GATEWAY_FAILURES.has(status)) reportFailure(env, ctx, chosen.node.id, `answered ${status}`);
      logAs({ node: chosen.node.id, reason: chosen.reason, status });
      return result.response;
    }
    reportFailure(env, ctx, chosen.node.id, result.detail);
    tried.add(chosen.node.id);
    failed = { route: chosen, result };
    chosen = isReplayable(request) ? retryRoute(config, availabilityOf, tried, Math.random()) : undefined;
  }

  if (!failed) {
    logAs({ node: null, reason: null, status: 503 });
    throw new EdgeError(
      503,
      'no_node_available',
      'no Co-browse node can take this request now',
      {},
      {
        'retry-after': String(RETRY_AFTER_S),
      },
    );
  }
  const { route: last, result } = failed;
  const timeout = result.failure === 'timeout';
  const status = timeout ? 504 : 502;
  logAs({ node: last.node.id, reason: last.reason, status, failure: result.detail });
  throw new EdgeError(
    status,
    timeout ? 'node_timeout' : 'node_unreachable',
    `node ${last.node.id} ${timeout ? 'sent no response in time' : 'cannot be reached'}: ${result.detail}`,
    { node: last.node.id },
  );
}
