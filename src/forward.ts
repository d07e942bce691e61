/**
 * Sends one client request to one node and returns the node's answer, streaming both ways.
 */
import type { NodeConfig } from './config';
import { downstreamResponseHeaders, isWebSocketHandshake, upstreamRequestHeaders } from './headers';

export type Forwarded =
  | { readonly ok: true; readonly response: Response }
  /** The node sent no response headers: `timeout` after the header limit, else `unreachable`. */
  | { readonly ok: false; readonly failure: 'unreachable' | 'timeout'; readonly detail: string };

/**
 * Forwards `request` to `node`. Bodies are passed as streams, never read: a 10 MB DOM snapshot or an
 * endless stream flows through chunk by chunk. Redirects are returned to the client, not followed.
 *
 * The header limit covers the wait for response headers only: its timer is cleared once they arrive,
 * so a long body or an open WebSocket afterwards is never cut by it.
 */
export async function forward(
  request: Request,
  node: NodeConfig,
  headerTimeoutMs: number,
): Promise<Forwarded> {
  const incomingUrl = new URL(request.url);
  const headers = upstreamRequestHeaders(request.headers, {
    clientIp: request.headers.get('cf-connecting-ip') ?? undefined,
    url: incomingUrl,
  });
  headers.delete('host');
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), headerTimeoutMs);
  let upstream: Response;
  try {
    upstream = await fetch(node.origin + incomingUrl.pathname + incomingUrl.search, {
      method: request.method,
      headers,
      body: request.body,
      redirect: 'manual',
      signal: controller.signal,
    });
  } catch (error) {
    return controller.signal.aborted
      ? { ok: false, failure: 'timeout', detail: `no response headers within ${headerTimeoutMs} ms` }
      : { ok: false, failure: 'unreachable', detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
  return {
    ok: true,
    response: toClientResponse(upstream, node, incomingUrl, isWebSocketHandshake(request.headers)),
  };
}

function toClientResponse(
  upstream: Response,
  node: NodeConfig,
  incomingUrl: URL,
  webSocket: boolean,
): Response {
  const headers = downstreamResponseHeaders(upstream.headers, node.origin, incomingUrl.origin);
  headers.set(SERVED_BY_HEADER, node.id);
  if (webSocket && upstream.webSocket) {
    // The accepted socket must travel on the new Response itself: `new Response(body, upstream)` drops it.
    return new Response(null, { status: 101, headers, webSocket: upstream.webSocket });
  }
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers });
}

/** Response header that names the node which served the request. */
export const SERVED_BY_HEADER = 'x-cobrowse-node';
