/**
 * Relays one WebSocket between a client and its node. The router holds both ends (instead of handing
 * the node's socket straight to the client) because that is the only way it can close the client's
 * side later: workerd ignores `close()` on a socket that was handed through in a Response, and another
 * request's socket cannot be touched at all.
 *
 * Frames pass as they came: text as text, binary as binary (byte for byte), and a close on either side
 * closes the other with the same code and reason. When the node goes (down or disabled), the client is
 * closed with 1012 (Service Restart, RFC 6455 registry: "reconnect"), and its reconnect reaches a
 * serving node, which ends the session and says so.
 */
import { AT, OPEN_WEBSOCKETS } from '../telemetry/counts';
import { countEvent, countOpen } from '../telemetry/tally';
import type { Watch } from './in-flight';

/** Close code for "your node went away, reconnect". */
const NODE_GONE_CLOSE = 1012;

/**
 * workerd refuses a received message over 32 MiB (`WEBSOCKET_MAX_MESSAGE_SIZE`, web-socket.c++): the
 * sender gets 1009 and the relay only an error event, whose message says so. The other side is then
 * told the same, 1009 (Message Too Big), rather than "connection lost".
 */
const TOO_BIG = /too large/i;
const TOO_BIG_CLOSE: readonly [number, string] = [1009, 'message over the 32 MiB limit'];

/**
 * Close codes a peer can receive but no endpoint may send (RFC 6455 7.4.1): 1005 (no code given) is
 * relayed as a close without a code; 1006 and 1015 (the connection was lost, or its TLS failed) as the
 * `lost` code and reason given for that side.
 */
const NO_CODE = 1005;
const NOT_SENDABLE = new Set([1006, 1015]);

/**
 * Makes the client's leg negotiate the compression the node's leg agreed to, as a handed-through
 * socket did end to end. workerd reads the 101's `Sec-WebSocket-Extensions` as its own offer (kj's
 * manual compression mode): a `permessage-deflate` value agrees with the client on compatible
 * parameters, a value without one agrees on none; only an absent header lets workerd agree to
 * whatever the client offers, which would make the router compress every frame the node does not
 * (measured: compression on the client's leg alone halved the relay's messages per second).
 */
export function matchNodeCompression(headers: Headers): void {
  if (!headers.has('sec-websocket-extensions')) headers.set('sec-websocket-extensions', 'none');
}

/** Closes `socket` once, whatever state it is in; a socket that is already closed throws otherwise. */
function closeQuietly(socket: WebSocket, code?: number, reason?: string): void {
  try {
    if (code === undefined) socket.close();
    else socket.close(code, reason);
  } catch {
    // Already closing or closed: nothing left to tell it.
  }
}

/**
 * Relays every frame and the close from `from` to `to`. `lost` is what `to` is told when `from` goes
 * without a close frame.
 */
function pipe(from: WebSocket, to: WebSocket, lost: readonly [number, string]): void {
  from.addEventListener('message', (event) => {
    try {
      to.send(event.data);
    } catch {
      // `to` is closing: the frame has nowhere to go, and its close is already under way.
    }
  });
  from.addEventListener('close', ({ code, reason }) => {
    if (code === NO_CODE) closeQuietly(to);
    else if (NOT_SENDABLE.has(code)) closeQuietly(to, ...lost);
    else closeQuietly(to, code, reason);
  });
  from.addEventListener('error', (event) =>
    closeQuietly(to, ...(TOO_BIG.test(event.message) ? TOO_BIG_CLOSE : lost)),
  );
}

/**
 * Accepts the node's socket and returns the client's end of a new pair that relays to it. `watch`
 * closes both when the node goes; the relay releases it when the socket ends by itself.
 */
export function relayWebSocket(node: WebSocket, nodeId: string, watch: Watch): WebSocket {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  for (const socket of [server, node]) {
    // Without it, binary frames arrive as Blobs (the standard default), which send() cannot relay.
    socket.binaryType = 'arraybuffer';
    socket.accept();
  }
  pipe(server, node, [1001, 'client connection lost']);
  pipe(node, server, [NODE_GONE_CLOSE, `node ${nodeId} connection lost`]);
  countOpen(nodeId, OPEN_WEBSOCKETS, 1);
  let open = true;
  const ended = () => {
    watch.release();
    if (open) countOpen(nodeId, OPEN_WEBSOCKETS, -1);
    open = false;
  };
  server.addEventListener('close', ended);
  node.addEventListener('close', ended);
  watch.gone.then(() => {
    if (open) countEvent(nodeId, AT.webSocketsEndedByNode);
    ended();
    closeQuietly(server, NODE_GONE_CLOSE, `node ${nodeId} is down`);
    closeQuietly(node, 1001, 'node marked down by the router');
  });
  return client;
}
