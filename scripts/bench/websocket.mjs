/**
 * `npm run bench:websocket`: WebSocket messages through the router (natively piped through a socket
 * gate) against a pass-through Worker (the node's socket handed straight through) and a bare gate (a
 * Durable Object that opens the node's socket with its own signal and returns it, nothing else: the
 * price of the gate's hop, without this project's code), in one run: one socket echoing one message
 * at a time, and 16 sockets at once. Rounds interleave the targets; medians.
 *
 *   BENCH_SECONDS=5 BENCH_ROUNDS=5 npm run bench:websocket
 */
import { buildWorker } from '../build-worker.mjs';
import { startDemoCluster } from '../demo-cluster.mjs';
import { PROXY_CORE, pinToCore, webSocketLoad, webSocketRoundTrips } from './load.mjs';
import { startMiniflare, startPassThrough, startRouter } from './targets.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MESSAGES = 2000;
const SOCKETS = 16;
const PINNED = { Cookie: 'gcbSessionServer=.CB_Server_1' };

/** The gate's hop and nothing else: what any design that keeps the power to cut in an object pays. */
function bareGate(origin) {
  return {
    script: `import { DurableObject } from 'cloudflare:workers';
      export class Gate extends DurableObject {
        held = [];
        async fetch(request) {
          const url = new URL(request.url);
          const controller = new AbortController();
          this.held.push(controller);
          const res = await fetch(${JSON.stringify(origin)} + url.pathname + url.search, { headers: request.headers, signal: controller.signal });
          return new Response(null, { status: res.status, headers: res.headers, webSocket: res.webSocket });
        }
      }
      export default { fetch: (request, env) => env.GATE.get(env.GATE.idFromName('gate')).fetch(request) };`,
    durableObjects: { GATE: { className: 'Gate', useSQLite: true } },
  };
}

buildWorker();
const nodes = await startDemoCluster([{ id: 'CB_Server_1' }, { id: 'CB_Server_2' }]);
const origin = nodes[0];
const targets = [
  { name: 'router (socket gates)', ...(await startRouter(nodes)) },
  { name: 'bare gate', ...(await startMiniflare(bareGate(origin.url))) },
  { name: 'pass-through Worker', ...(await startPassThrough(origin.url)) },
];
for (const target of targets) pinToCore(target.pid, PROXY_CORE);
for (const node of nodes) pinToCore(node.process.pid, 0);

const samples = new Map(targets.map((target) => [target.name, []]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of targets) {
      const url = `${target.url.replace('http', 'ws')}/cobrowse/ws`;
      const one = await webSocketRoundTrips(url, { messages: MESSAGES, headers: PINNED, pid: target.pid });
      const many = await webSocketLoad(url, {
        sockets: SOCKETS,
        seconds: SECONDS,
        headers: PINNED,
        pid: target.pid,
      });
      samples.get(target.name).push({ one, many });
    }
    console.log(`round ${round} of ${ROUNDS} measured`);
  }
} finally {
  await Promise.all(targets.map((target) => target.stop()));
  await Promise.all(nodes.map((node) => node.stop()));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const figures = new Map(
  [...samples].map(([name, runs]) => {
    const pick = (of) => median(runs.map(of));
    return [
      name,
      {
        oneRate: pick((run) => run.one.perSecond),
        oneP99: pick((run) => run.one.p99),
        oneCpu: pick((run) => run.one.cpuPerMessageUs),
        manyRate: pick((run) => run.many.perSecond),
        manyP99: pick((run) => run.many.p99),
        manyCpu: pick((run) => run.many.cpuPerMessageUs),
      },
    ];
  }),
);
const fmt = (value, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines = [
  `WebSocket echo round trips, ${ROUNDS} interleaved rounds, medians; 1 socket: ${MESSAGES} sequential; ${SOCKETS} sockets: ${SECONDS} s`,
  '',
  `| target | msg/s @1 | p99 @1 ms | CPU µs/msg @1 | msg/s @${SOCKETS} | p99 @${SOCKETS} ms | CPU µs/msg @${SOCKETS} |`,
  '|---|---|---|---|---|---|---|',
];
for (const [name, f] of figures) {
  lines.push(
    `| ${name} | ${fmt(f.oneRate)} | ${fmt(f.oneP99, 3)} | ${fmt(f.oneCpu)} | ${fmt(f.manyRate)} | ${fmt(f.manyP99, 2)} | ${fmt(f.manyCpu)} |`,
  );
}
const pass = figures.get('pass-through Worker');
for (const name of ['router (socket gates)', 'bare gate']) {
  const f = figures.get(name);
  const r = (a, b) => fmt(a / b, 2);
  lines.push(
    `| ${name} / pass-through | ${r(f.oneRate, pass.oneRate)} | ${r(f.oneP99, pass.oneP99)} | ${r(f.oneCpu, pass.oneCpu)} | ${r(f.manyRate, pass.manyRate)} | ${r(f.manyP99, pass.manyP99)} | ${r(f.manyCpu, pass.manyCpu)} |`,
  );
}
console.log(`\n${lines.join('\n')}`);
process.exit(0);
