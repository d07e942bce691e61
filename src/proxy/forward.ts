/**
 * Sends one client request to one node and returns the node's answer, streaming both ways.
 */
import type { NodeConfig } from '../config/config';
import { adaptResponseHeaders, REQUEST_ID_HEADER, upstreamRequestHeaders } from './headers';

/** Response header that names the node which served the request. */
const SERVED_BY_HEADER = 'x-cobrowse-node';

/**
 * Does forwarding `request` send a body? Never for GET and HEAD: fetch() refuses one there, yet workerd
 * gives a GET an empty body when its client sent `Content-Length: 0`.
 */
export function sendsBody(request: Request): boolean {
  return request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';
}

export type Forwarded =
  | { readonly ok: true; readonly response: Response }
  /** The node sent no response headers: `timeout` after the header limit, else `unreachable`. */
  | { readonly ok: false; readonly failure: 'unreachable' | 'timeout'; readonly detail: string };

export interface ForwardOptions {
  /** Time the node has to send response headers. */
  readonly headerTimeoutMs: number;
  /** This request's id: sent to the node and back to the client as `X-Request-Id`. */
  readonly requestId: string;
  /** Is the request a WebSocket opening handshake? */
  readonly webSocket: boolean;
}

/**
 * Forwards `request` (whose parsed URL is `incomingUrl`) to `node`. Bodies are passed as streams, never
 * read: a 10 MB DOM snapshot or an endless stream flows through chunk by chunk. Redirects are returned
 * to the client, not followed.
 *
 * The header limit covers the wait for response headers only: its timer is cleared once they arrive,
 * so a long body or an open WebSocket afterwards is never cut by it.
 */
export async function forward(
  request: Request,
  incomingUrl: URL,
  node: NodeConfig,
  options: ForwardOptions,
): Promise<Forwarded> {
  const headers = upstreamRequestHeaders(request.headers, {
    clientIp: request.headers.get('cf-connecting-ip') ?? undefined,
    url: incomingUrl,
    requestId: options.requestId,
    webSocket: options.webSocket,
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.headerTimeoutMs);
  let upstream: Response;
  try {
    upstream = await fetch(node.origin + incomingUrl.pathname + incomingUrl.search, {
      method: request.method,
      headers,
      body: sendsBody(request) ? request.body : null,
      redirect: 'manual',
      signal: controller.signal,
    });
  } catch (error) {
    return controller.signal.aborted
      ? { ok: false, failure: 'timeout', detail: `no response headers within ${options.headerTimeoutMs} ms` }
      : { ok: false, failure: 'unreachable', detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
  // The node's headers are immutable: one mutable copy, made by the Response that carries them.
  const response =
    options.webSocket && upstream.webSocket
      ? // The accepted socket must be given explicitly: `new Response(body, upstream)` drops it.
        new Response(null, { status: 101, headers: upstream.headers, webSocket: upstream.webSocket })
      : new Response(upstream.body, upstream);
  adaptResponseHeaders(response.headers, node.origin, incomingUrl.origin);
  response.headers.set(SERVED_BY_HEADER, node.id);
  response.headers.set(REQUEST_ID_HEADER, options.requestId);
  return { ok: true, response };
}
