/**
 * What the proxy reads of a client's request once, at its start. Every later step (admission,
 * routing, forwarding, the log line) takes it from here: each read of `request.headers` or
 * `request.method` is a call into the runtime (a sticky GET made six before this record, two now).
 */
export interface RequestHead {
  readonly method: string;
  readonly headers: Headers;
  /** The path as the router checked it (slashes merged): what the policy, the log and the node see. */
  readonly path: string;
  /** Path and query sent to the node. */
  readonly target: string;
  /** The Cookie field, or null. */
  readonly cookie: string | null;
  /** Is the request a WebSocket opening handshake? */
  readonly webSocket: boolean;
  /** This request's id (lib/log.ts `requestIdOf`): sent to the node and back to the client. */
  readonly requestId: string;
}
