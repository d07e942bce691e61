/**
 * What the router can tell about a request that may start a Co-browse session, before any node sees
 * it. Co-browse starts a session with a CometD handshake (Bayeux 1.0): a `/meta/handshake` message,
 * which CometD's HTTP transports post to `<url>/handshake` (the JavaScript client appends the message
 * type by default), and which, unlike every later message of the session, carries no `clientId`.
 * Over WebSocket the handshake is a message inside the socket, so the router cannot see it there.
 *
 * Two rules, from the strict to the broad:
 * - {@link isHandshake}: certainly a new session. Such a request is routed as one even when it
 *   carries a pin: never to a draining node or one of weight 0.
 * - {@link mayStartSession}: a POST that could be one: it does not name an existing session (no
 *   `clientId` in a body read whole). It counts against the new-session budget, pinned or not; a
 *   pin does not make it an old session's.
 */

const decoder = new TextDecoder();

/** The body as text when it was read whole (at most REPLAY_BODY_BYTES); null when it streams. */
function textOf(body: BodyInit | null): string | null {
  return body instanceof ArrayBuffer ? decoder.decode(body) : null;
}

/** A CometD handshake: posted to `.../handshake`, or a body read whole that names `/meta/handshake`. */
export function isHandshake(path: string, body: BodyInit | null): boolean {
  return path.endsWith('/handshake') || (textOf(body)?.includes('"/meta/handshake"') ?? false);
}

/**
 * Could this POST start a session? Yes unless its body, read whole, names a `clientId` (a message of
 * a session that exists). A streamed body (over REPLAY_BODY_BYTES: a DOM snapshot) belongs to one.
 */
export function mayStartSession(body: BodyInit | null): boolean {
  if (body !== null && !(body instanceof ArrayBuffer)) return false;
  return !(textOf(body)?.includes('"clientId"') ?? false);
}
