/**
 * A socket.io 4 server as a Co-browse-like node: it sets `gcbSessionServer=.<id>` on every engine.io
 * response (handshake and polls, as a Co-browse node names itself), answers `/cobrowse/health`, and
 * acknowledges every `echo` event with its own id. An engine.io session lives on one server only: a
 * poll that reaches another server gets `400 Session ID unknown`.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { listen, nodeArgs, stickyCookie } from './node-args.mjs';

const { id, port } = nodeArgs();
const server = createServer((req, res) => {
  if (req.url === '/cobrowse/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ node: id, status: 'ok' }));
  }
  res.writeHead(404).end();
});
const io = new Server(server, { path: '/cobrowse/socket.io/' });
io.engine.on('headers', (headers) => {
  headers['set-cookie'] = stickyCookie(id);
});
io.on('connection', (socket) => {
  socket.on('echo', (message, ack) => ack({ node: id, message, transport: socket.conn.transport.name }));
});
listen(server, id, port);
