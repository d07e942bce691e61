/**
 * One CometD JavaScript client (the `cometd` package, as in a browser, over long-polling) in its own
 * process, so it has its own cookie jar like a browser. Usage:
 *
 *   node cometd-client.mjs <server url> <messages>
 *
 * It handshakes, publishes `messages` messages to `/service/echo` one by one, each waiting for its
 * echo, and prints one JSON line: the nodes that answered, the /meta/connect cycles seen, and every
 * failed Bayeux reply (e.g. `402::Unknown client` when a request reached a node that does not own the
 * session).
 */
import { CometD } from 'cometd';
import { adapt } from 'cometd-nodejs-client';

adapt();
const [url, count = '10'] = process.argv.slice(2);
const client = new CometD();
client.configure({ url, logLevel: 'warn' });
// Long-polling, as Co-browse falls back to when WebSocket is unavailable (this server has none).
client.unregisterTransport('websocket');
const report = { clientId: null, nodes: [], connects: 0, failures: [], echoes: 0 };
client.addListener('/meta/connect', (reply) => {
  if (reply.successful) report.connects++;
  else report.failures.push(reply.error ?? 'connect failed');
});
client.addListener('/meta/unsuccessful', (reply) => report.failures.push(reply.error ?? reply.channel));

const waiters = [];
const finish = () => {
  client.disconnect(() => {
    console.log(JSON.stringify(report));
    process.exit(0);
  });
};
setTimeout(() => {
  report.failures.push('timed out');
  console.log(JSON.stringify(report));
  process.exit(0);
}, 15_000).unref();

client.handshake((reply) => {
  if (!reply.successful) {
    report.failures.push(reply.error ?? 'handshake failed');
    return finish();
  }
  report.clientId = reply.clientId;
  client.subscribe('/echo', (message) => {
    report.echoes++;
    if (!report.nodes.includes(message.data.node)) report.nodes.push(message.data.node);
    waiters.shift()?.();
  });
  (async () => {
    for (let i = 0; i < Number(count); i++) {
      const echoed = new Promise((resolve) => waiters.push(resolve));
      client.publish('/service/echo', { i });
      await echoed;
      // Spread the messages over several long-poll cycles.
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    finish();
  })();
});
