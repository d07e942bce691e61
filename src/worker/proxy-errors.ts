/**
 * The answers the proxy gives instead of a node's: the path is not routed here, the method is not
 * Co-browse's, no node can take the request, its client went away or stopped sending, or its node
 * failed it (admission.ts and rate-limits.ts have the refusals of their own rules). Each is an
 * {@link EdgeError} (a JSON body with a stable code); the proxy logs its status before throwing it.
 */
import type { UnofficialStatusCode } from 'hono/utils/http-status';
import { EdgeError } from '../lib/errors';
import type { NoAnswer } from '../wire/counts';
import type { BodyEnd } from './client-body';

/** Seconds a client is asked to wait when no node can take its request. */
const RETRY_AFTER_S = 5;

/** The status logged for a request whose client went away first: nginx's, which operators know. */
const CLIENT_GONE = 499 as UnofficialStatusCode;

/** A 503 that asks the client to come back in RETRY_AFTER_S. */
function unavailable(code: string, message: string, details: Record<string, unknown>): EdgeError {
  return new EdgeError(503, code, message, details, { 'retry-after': String(RETRY_AFTER_S) });
}

/** The path is outside `pathPrefix`: this router serves nothing there. */
export function notRouted(pathPrefix: string): EdgeError {
  return new EdgeError(404, 'not_found', `only ${pathPrefix} and paths below it are routed here`);
}

/** No serving node can take the request now. */
export function noNodeAvailable(details: Record<string, unknown> = {}): EdgeError {
  return unavailable('no_node_available', 'no Co-browse node can take this request now', details);
}

/** Every serving node has reached its `maxSessions`: a new session must wait (pinned traffic passes). */
export function clusterFull(details: Record<string, unknown> = {}): EdgeError {
  return unavailable(
    'cluster_full',
    'every Co-browse node is at its session limit; try again shortly',
    details,
  );
}

/** A method Co-browse does not use; `allowed` are the ones it does. */
export function methodNotAllowed(method: string, allowed: Iterable<string>): EdgeError {
  return new EdgeError(
    405,
    'method_not_allowed',
    `${method} is not used by Co-browse`,
    {},
    {
      allow: [...allowed].join(', '),
    },
  );
}

/** The client went away while its node worked on the request. */
export function clientGone(): EdgeError {
  return new EdgeError(CLIENT_GONE, 'client_gone', 'the client went away before its node answered');
}

/** The client's streamed body ended early (`how`), or passed `maxBodyBytes`: its doing, not the node's. */
export function bodyEnded(how: BodyEnd, maxBodyBytes: number): EdgeError {
  return how === 'too-large'
    ? new EdgeError(413, 'body_too_large', `the request body is larger than ${maxBodyBytes} bytes`)
    : new EdgeError(400, 'body_incomplete', 'the client stopped sending the request body');
}

const FAILURE_CODES: Record<NoAnswer, string> = {
  timeout: 'node_timeout',
  unreachable: 'node_unreachable',
  'node-down': 'node_down',
};

/** Node `nodeId` failed the request (`failure`, described by `detail`) and it cannot go elsewhere. */
export function nodeFailed(nodeId: string, failure: NoAnswer, detail: string): EdgeError {
  const timeout = failure === 'timeout';
  return new EdgeError(
    timeout ? 504 : 502,
    FAILURE_CODES[failure],
    `node ${nodeId} ${timeout ? 'sent no response in time' : 'cannot answer this request'}: ${detail}`,
    { node: nodeId },
  );
}
