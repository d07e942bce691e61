/**
 * Entry of the gates' script (`cobrowse-edge-gates`, wrangler.gates.toml): the socket gates, in a
 * script of their own so that this script's tail consumer (tail/index.ts) sees the traces of
 * handshakes only, and no ordinary request of the router causes a tail invocation. Nothing reaches
 * this script from the internet: it has no route, and its fetch handler answers 404.
 */
export { SocketGate } from './socket-gate';

export default {
  fetch: () => new Response('not found', { status: 404 }),
} satisfies ExportedHandler;
