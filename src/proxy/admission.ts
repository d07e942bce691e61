/**
 * What is refused before any node is chosen: a path a node could read differently from the router
 * (path-policy.ts), and a WebSocket handshake or state-changing request from a page whose origin is not
 * in ALLOWED_ORIGINS. A refused request reaches no node.
 */
import type { Config } from '../config/config';
import { EdgeError } from '../errors';
import { pathProblem } from './path-policy';

/**
 * Methods that change state on a node: a page of another site must not send them with a visitor's
 * cookies. CometD's HTTP transports post every message, so this covers them.
 */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A request that starts a session, for the new-session limit: a POST (CometD's handshake) or a
 * WebSocket handshake, without a pin. A pinned request belongs to a session that exists.
 */
export function startsSession(request: Request, webSocket: boolean): boolean {
  return webSocket || request.method === 'POST';
}

/** The error that refuses this request, or undefined when it may go on to a node. */
export function refusal(
  request: Request,
  path: string,
  webSocket: boolean,
  config: Config,
): EdgeError | undefined {
  const problem = pathProblem(path);
  if (problem) {
    return new EdgeError(
      400,
      'path_refused',
      `the path has ${problem}, which a Co-browse node could read differently`,
    );
  }
  const allowed = config.allowedOrigins;
  if (allowed && (webSocket || STATE_CHANGING.has(request.method))) {
    // No Origin: not a browser's cross-site request (browsers send it on these), so nothing to check.
    const origin = request.headers.get('origin');
    if (origin !== null && !allowed.has(origin)) {
      return new EdgeError(
        403,
        'origin_refused',
        `pages of ${origin.slice(0, 200)} may not use this Co-browse service`,
      );
    }
  }
  return undefined;
}
