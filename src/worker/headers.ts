/**
 * Header rules of the proxy, both ways: pure functions from headers to headers.
 */

/**
 * RFC 9110 section 7.6.1: hop-by-hop fields describe one connection and are not forwarded, nor are
 * the fields that `Connection` names. `Proxy-Connection` and `Keep-Alive` are the legacy forms.
 */
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

const HOP_BY_HOP_NAMES: ReadonlySet<string> = new Set(HOP_BY_HOP);

/** Carries a request's id back to its client, and to its node with REQUEST_ID_TO_NODES on. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Fields a client may not send to a node, matched on the name as a node reads it (lower case, and `_`
 * read as `-`, as CGI-style servers do): claims about the client or the proxy chain that only the edge
 * may make, and what a node would trust from its proxy. The reference is Jetty 9.4's
 * `ForwardedRequestCustomizer` (`Forwarded`, `X-Forwarded-Host`, `-Server`, `-Proto`, `-For`,
 * `-Port`, `X-Proxied-Https`, `Proxy-ssl-id`, `Proxy-auth-cert`), Tomcat's `RemoteIpValve`
 * (`X-Forwarded-By`) and the address headers other proxies set (`X-Real-IP`, `True-Client-IP`,
 * `X-Client-IP`, `X-Cluster-Client-IP`, `Client-IP`), client-certificate and TLS claims (`X-SSL-*`,
 * `SSL-*`, `X-ARR-*`, `Front-End-Https`, `X-Url-Scheme`), URL rewrites (`X-Original-URL`,
 * `X-Rewrite-URL`, `X-Original-Host`, `X-Host`), method overrides (`X-HTTP-Method-Override`,
 * `X-HTTP-Method`, `X-Method-Override`), `Host` (the node's comes from its URL) and `Authorization`:
 * the only credential a browser attaches to this host by itself is the router's own admin login, and
 * Co-browse nodes authenticate nothing with it. `X-Request-Id` too: a node that logs it must not log
 * an id a client made up. The edge's own `X-Forwarded-For`, `-Proto`, `-Host` (and `X-Request-Id`,
 * when REQUEST_ID_TO_NODES is on) are set after.
 */
const NOT_FORWARDED =
  /^(?:x-forwarded-.*|forwarded|x-request-id|x-real-ip|true-client-ip|x-client-ip|x-cluster-client-ip|client-ip|x-proxyuser-ip|x-proxied-https|proxy-.*|x-ssl.*|ssl-.*|x-arr-.*|front-end-https|x-url-scheme|x-original-.*|x-rewrite-url|x-host|x-http-method(?:-override)?|x-method-override|host|authorization)$/;

/** Is `name` (lower case, as Headers gives it) one a client may not send to a node? */
export function notForwarded(name: string): boolean {
  return NOT_FORWARDED.test(name.includes('_') ? name.replaceAll('_', '-') : name);
}

/** Is this request a WebSocket opening handshake (RFC 6455 section 4.1)? */
export function isWebSocketHandshake(headers: Headers): boolean {
  return headers.get('upgrade')?.trim().toLowerCase() === 'websocket';
}

/** RFC 9110 5.1: a field name is a token; anything else in `Connection` names no field. */
export const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Removes hop-by-hop fields in place, including every field named by `Connection`. Tokens that are not
 * field names are ignored: `Headers.delete` would throw on them, and a node's malformed `Connection`
 * must not break its response.
 */
export function dropHopByHop(headers: Headers): void {
  for (const name of [...HOP_BY_HOP, ...namedByConnection(headers)]) headers.delete(name);
}

/** The field names a `Connection` field names (RFC 9110 7.6.1); tokens that are not names are ignored. */
function namedByConnection(headers: Headers): string[] {
  const connection = headers.get('connection');
  if (connection === null) return [];
  return connection
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => FIELD_NAME.test(token));
}

export interface EdgeView {
  /** Client address as the edge saw it (Cloudflare's `CF-Connecting-IP`), if known. */
  readonly clientIp: string | undefined;
  /** The URL the client asked the edge for. */
  readonly url: URL;
  /**
   * This request's id, sent to the node as `X-Request-Id` so its logs and ours can be joined; undefined
   * when the node does not get it (REQUEST_ID_TO_NODES off).
   */
  readonly requestId: string | undefined;
  /** Is the request a WebSocket opening handshake ({@link isWebSocketHandshake})? */
  readonly webSocket: boolean;
}

/**
 * Headers for the request to a node: the client's, minus hop-by-hop fields and every field
 * {@link notForwarded} names, plus `X-Forwarded-*` from what the edge saw and the request id if given.
 * A WebSocket handshake keeps exactly `Upgrade: websocket` and `Connection: Upgrade`, which the node
 * needs to switch protocols.
 */
export function upstreamRequestHeaders(incoming: Headers, edge: EdgeView): Headers {
  const headers = new Headers(incoming);
  let named: string[] | undefined;
  // One walk over the client's names, deleting from the copy only what is there: cheaper than a
  // delete per rule (every Headers call crosses into the runtime), and it sees every spelling.
  for (const name of incoming.keys()) {
    if (HOP_BY_HOP_NAMES.has(name) || notForwarded(name)) {
      // Read only when present: workerd consumes a client's own `Connection` before the Worker runs
      // (docs/routing-and-balancing.md "Forwarding"), so this is nearly never.
      if (name === 'connection') named = namedByConnection(incoming);
      headers.delete(name);
    }
  }
  // A field the client names there goes too; the hop-by-hop ones the walk already took.
  for (const name of named ?? []) if (!HOP_BY_HOP_NAMES.has(name)) headers.delete(name);
  if (edge.clientIp) headers.set('x-forwarded-for', edge.clientIp);
  headers.set('x-forwarded-proto', edge.url.protocol.slice(0, -1));
  headers.set('x-forwarded-host', edge.url.host);
  if (edge.requestId !== undefined) headers.set(REQUEST_ID_HEADER, edge.requestId);
  if (edge.webSocket) {
    headers.set('upgrade', 'websocket');
    headers.set('connection', 'Upgrade');
  }
  return headers;
}

/**
 * Turns a copy of the node's response headers into the client's, in place: hop-by-hop fields go,
 * `Set-Cookie` fields stay as they are, one by one. A `Location` that points at the node itself is
 * rewritten to the edge (like nginx's `proxy_redirect default`), so a redirect never sends a browser
 * to an internal host. Returns the body's declared length (`Content-Length`), or null.
 *
 * A body of unknown length that the node did not encode is marked `Content-Encoding: identity`: the
 * runtime otherwise gzips text responses for clients that accept it, which holds a stream or a
 * long-poll answer until its end.
 */
export function adaptResponseHeaders(
  headers: Headers,
  nodeOrigin: string,
  edgeOrigin: string,
): string | null {
  dropHopByHop(headers);
  const location = headers.get('location');
  if (location && URL.canParse(location)) {
    const target = new URL(location);
    if (target.origin === nodeOrigin)
      headers.set('location', edgeOrigin + target.pathname + target.search + target.hash);
  }
  const length = headers.get('content-length');
  if (length === null && !headers.has('content-encoding')) {
    headers.set('content-encoding', 'identity');
  }
  return length;
}

/** Does the response set the cookie `name` (a node starting a session sets its sticky cookie)? */
export function setsCookie(headers: Headers, name: string): boolean {
  if (!headers.has('set-cookie')) return false;
  const prefix = `${name}=`;
  return headers.getSetCookie().some((cookie) => cookie.startsWith(prefix));
}
