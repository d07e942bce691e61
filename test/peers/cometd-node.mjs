/**
 * A CometD server (cometd-nodejs-server, the Bayeux implementation Co-browse's own server is built on)
 * as a Co-browse-like node: it sets `gcbSessionServer=.<id>` on every response, answers
 * `/cobrowse/health`, and echoes every message published on `/service/echo` back to its sender on
 * `/echo`, with its own id. A CometD session lives on one server only: a message that reaches another
 * server gets `402::Unknown client`.
 */
import { createServer } from 'node:http';
import cometdServer from 'cometd-nodejs-server';
import { listen, nodeArgs, stickyCookie } from './node-args.mjs';

const { id, port } = nodeArgs();
// A short long-poll hold, so the tests see many /meta/connect cycles.
const cometd = cometdServer.createCometDServer({ timeout: 1000 });
cometd.createServerChannel('/service/echo').addListener('message', (session, _channel, message, callback) => {
  session.deliver(null, '/echo', { node: id, data: message.data });
  callback();
});
const server = createServer((req, res) => {
  if (req.url === '/cobrowse/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ node: id, status: 'ok' }));
  }
  // CometD sets its own BAYEUX_BROWSER cookie on the handshake with setHeader, which would replace
  // ours on exactly the response that must pin the session: keep both, as a Co-browse node sends both.
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) =>
    setHeader(name, name.toLowerCase() === 'set-cookie' ? [stickyCookie(id), ...[value].flat()] : value);
  res.setHeader('set-cookie', []);
  cometd.handle(req, res);
});
listen(server, id, port);
