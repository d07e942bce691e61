/**
 * `npm run bench:profile`: where the router's isolate spends its CPU under load. Starts the built
 * router in Miniflare with an inspector, drives it with wrk for a few seconds, takes a V8 CPU profile
 * of the Worker through the DevTools protocol, and prints the functions with the most self time.
 * The inspector makes `console.log` dearer than it is without one; read its share with that in mind.
 *
 *   npm run build && npm run bench:profile
 */
import WebSocket from 'ws';
import { startDemoCluster } from '../demo-cluster.mjs';
import { httpLoad } from './load.mjs';
import { deployment, routerWorker, startMiniflare } from './targets.mjs';

const INSPECTOR_PORT = 19_229;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const PINNED = { Cookie: 'gcbSessionServer=.CB_Server_1' };
/** workerd names the Worker under test `core:user:<name>`; Miniflare's own workers are not ours. */
const USER_WORKER = 'workerd: worker core:user:';

const nodes = await startDemoCluster([{ id: 'CB_Server_1' }, { id: 'CB_Server_2' }, { id: 'CB_Server_3' }]);
const router = await startMiniflare(deployment(routerWorker(nodes)), { inspectorPort: INSPECTOR_PORT });
try {
  const url = `${router.url}/cobrowse/health`;
  await httpLoad(url, { connections: 2, seconds: 1, headers: PINNED });
  const targets = await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json();
  const target = targets.find((candidate) => candidate.title === USER_WORKER);
  if (!target)
    throw new Error(`no inspector target "${USER_WORKER}" among ${targets.map((t) => t.title).join(', ')}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let lastId = 0;
  const replies = new Map();
  socket.on('message', (data) => {
    const message = JSON.parse(data);
    replies.get(message.id)?.(message.result);
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++lastId;
      replies.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 100 });
  await call('Profiler.start');
  const load = await httpLoad(url, { connections: 2, seconds: SECONDS, headers: PINNED });
  const { profile } = await call('Profiler.stop');
  socket.close();

  const selfSamples = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    const where = frame.url ? `${frame.url.split('/').pop()}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    selfSamples.set(name, (selfSamples.get(name) ?? 0) + (node.hitCount ?? 0));
    total += node.hitCount ?? 0;
  }
  console.log(`${load.rps.toFixed(0)} req/s at 2 connections for ${SECONDS} s; ${total} samples; self time:`);
  for (const [name, samples] of [...selfSamples].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${((100 * samples) / total).toFixed(1).padStart(6)} %  ${name}`);
  }
} finally {
  await router.stop();
  await Promise.all(nodes.map((node) => node.stop()));
}
