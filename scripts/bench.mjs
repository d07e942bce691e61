/**
 * `npm run bench`: the router against a minimal pass-through Worker in the same runtime, against
 * nginx running the vendor guide's sample, and each against the origin direct, in one run on this
 * machine. Prints a table of figures and ratios; the figures belong in BENCHMARKS.md.
 *
 *   npm run bench                                3 rounds, 3 s per HTTP run; medians
 *   BENCH_SECONDS=10 BENCH_ROUNDS=5 npm run bench
 *
 * Then counts the work per request of the router and the pass-through Workers under callgrind
 * (instructions, simulated cache misses and branch mispredictions, estimated cycles), for the sticky
 * GET and the sticky POST: figures this machine's noise does not move (BENCH_INSTRUCTION_REQUESTS
 * requests each, default 2,000; 0 skips it).
 *
 * Needs nginx, wrk and valgrind (Debian packages): installs them with apt-get when missing.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { COUNTED_REQUESTS, workPerRequest } from './bench/callgrind.mjs';
import {
  bigWebSocketMessages,
  httpLoad,
  memoryMiB,
  PROXY_CORE,
  pinToCore,
  webSocketLoad,
  webSocketRoundTrips,
} from './bench/load.mjs';
import {
  deployment,
  passThroughWorker,
  routerWorker,
  startNginx,
  startPassThrough,
  startRouter,
} from './bench/targets.mjs';
import { buildWorker, withoutTimedWork } from './build-worker.mjs';
import { startDemoCluster } from './demo-cluster.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = [2, 32];
const WS_MESSAGES = 2000;
/** Sockets echoing at once, and the DOM-snapshot-sized messages several of them send at once. */
const WS_SOCKETS = 16;
const WS_BIG = { sockets: 8, bytes: 10 * 2 ** 20, rounds: 3 };
const NGINX_PORT = 18_080;
const PATH = '/cobrowse/health';
const PINNED = { Cookie: 'gcbSessionServer=.CB_Server_1' };
/** The sticky POST counted: a CometD message of a session's usual size, to a path the node echoes. */
const POST_PATH = '/cobrowse/echo';
const POST_BODY = JSON.stringify([
  {
    channel: '/meta/connect',
    clientId: '2bnv3a8s1vyo9q8w1c7l4cfm3f',
    connectionType: 'long-polling',
    id: '42',
  },
]);

function ensureTools() {
  const missing = ['nginx', 'wrk', 'valgrind'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`]);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} from Debian...`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (...args) => {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    execFileSync(command, rest, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', ...missing);
}

ensureTools();
console.log('building the Worker (wrangler deploy --dry-run)...');
buildWorker();

/**
 * The router at its defaults logs failures and a sample, writes a sampled data point and keeps the
 * request id off the node's request (docs/costs.md "What it costs"); this one logs every request, writes every
 * point and sends every node the id, as the defaults did before issue 21.
 */
const FULL_TELEMETRY = 'router, every telemetry setting on';
const EVERY_REQUEST_RECORDED = {
  LOG_REQUESTS: 'all',
  ANALYTICS_SAMPLE_RATE: '1',
  REQUEST_ID_TO_NODES: 'true',
};

const nodes = await startDemoCluster([{ id: 'CB_Server_1' }, { id: 'CB_Server_2' }, { id: 'CB_Server_3' }]);
const origin = nodes[0];
const targets = [
  { name: 'router', ...(await startRouter(nodes)) },
  { name: FULL_TELEMETRY, ...(await startRouter(nodes, EVERY_REQUEST_RECORDED)) },
  { name: 'pass-through Worker', ...(await startPassThrough(origin.url)) },
  { name: 'pass-through, fresh request', ...(await startPassThrough(origin.url, { fresh: true })) },
  { name: 'nginx (guide sample)', ...(await startNginx(nodes, NGINX_PORT)) },
  { name: 'origin direct', url: origin.url, pid: origin.process.pid, stop: async () => {} },
];

/**
 * Counted under callgrind, one target at a time. The routers' active health checks are set an hour
 * apart: under callgrind a request takes ~40x longer, so checks every 2 s would be charged to the
 * requests 40x over; what is counted is the work a request does.
 */
const QUIET_HEALTH = { HEALTH_INTERVAL_MS: 3_600_000 };
/**
 * BENCH_TIMED_WORK=off: the routers are counted from a copy of the bundle whose timed work (the health
 * copy's refresh, the traffic hand-over) is an hour apart, so the per-request figure is not blurred by
 * work done once a second and charged to the few requests callgrind lets through.
 */
const countedScript =
  process.env.BENCH_TIMED_WORK === 'off' ? withoutTimedWork('dist/index.js') : 'dist/index.js';
// The whole deployment (the gates' script and its tail consumer idle beside the router): the router's
// SOCKETS binding names the gates' script.
const countedRouter = (vars) =>
  deployment({ ...routerWorker(nodes, { ...QUIET_HEALTH, ...vars }), scriptPath: countedScript });
const countedTargets = new Map([
  ['router', countedRouter({})],
  [FULL_TELEMETRY, countedRouter(EVERY_REQUEST_RECORDED)],
  ['pass-through Worker', passThroughWorker(origin.url)],
  ['pass-through, fresh request', passThroughWorker(origin.url, { fresh: true })],
]);
const counted = new Map();
/** The sticky POST, counted for the router and the fresh-request pass-through. */
const countedPosts = new Map([
  ['router', countedRouter({})],
  ['pass-through, fresh request', passThroughWorker(origin.url, { fresh: true })],
]);
const countedPost = new Map();

/** The median of each figure over the rounds: this machine's noise is larger than some effects. */
function medianOf(samples) {
  const median = (values) => {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
  };
  const walk = (pick) => {
    const first = pick(samples[0]);
    if (typeof first === 'number') return median(samples.map(pick));
    return Object.fromEntries(Object.keys(first).map((key) => [key, walk((sample) => pick(sample)[key])]));
  };
  return walk((sample) => sample);
}

for (const target of targets) pinToCore(target.pid, target.name === 'origin direct' ? 0 : PROXY_CORE);
for (const node of nodes.slice(1)) pinToCore(node.process.pid, 0);

const samples = new Map(targets.map((target) => [target.name, []]));
try {
  for (const target of targets) {
    // Warm up: JIT, connection pools, the router's health copy.
    await httpLoad(target.url + PATH, { connections: 2, seconds: 1, headers: PINNED });
  }
  // Rounds interleave the targets, so a slow spell of the machine hits them all alike.
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of targets) {
      const http = {};
      for (const connections of CONNECTIONS) {
        http[connections] = await httpLoad(target.url + PATH, {
          connections,
          seconds: SECONDS,
          headers: PINNED,
          pid: target.pid,
        });
      }
      const wsUrl = `${target.url.replace('http', 'ws')}/cobrowse/ws`;
      const ws = {
        sequential: await webSocketRoundTrips(wsUrl, {
          messages: WS_MESSAGES,
          headers: PINNED,
          pid: target.pid,
        }),
        many: await webSocketLoad(wsUrl, {
          sockets: WS_SOCKETS,
          seconds: SECONDS,
          headers: PINNED,
          pid: target.pid,
        }),
        big: await bigWebSocketMessages(wsUrl, { ...WS_BIG, headers: PINNED, pid: target.pid }),
      };
      samples.get(target.name).push({ http, ws, memory: memoryMiB(target.pid) });
    }
    console.log(`round ${round} of ${ROUNDS} measured`);
  }
  await Promise.all(targets.splice(0).map((target) => target.stop()));
  if (COUNTED_REQUESTS > 0) {
    for (const [name, worker] of countedTargets) {
      counted.set(name, await workPerRequest(worker, { path: PATH, headers: PINNED }));
      console.log(`work counted: ${name}`);
    }
    for (const [name, worker] of countedPosts) {
      countedPost.set(
        name,
        await workPerRequest(worker, { path: POST_PATH, headers: PINNED, body: POST_BODY }),
      );
      console.log(`work counted: ${name}, sticky POST`);
    }
  }
} finally {
  await Promise.all(targets.map((target) => target.stop()));
  await Promise.all(nodes.map((node) => node.stop()));
}
const results = new Map([...samples].map(([name, runs]) => [name, medianOf(runs)]));

const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}` : '-');
const router = results.get('router');
const full = results.get(FULL_TELEMETRY);
const pass = results.get('pass-through Worker');
const fresh = results.get('pass-through, fresh request');
const nginx = results.get('nginx (guide sample)');
const direct = results.get('origin direct');

const lines = [];
lines.push(
  `machine: ${cpus().length} x ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
lines.push(
  `HTTP: wrk -t1, ${SECONDS} s per run, GET ${PATH} pinned by cookie; WebSocket: ${WS_MESSAGES} sequential echoes`,
);
lines.push(
  `WebSocket load: ${WS_SOCKETS} sockets echoing for ${SECONDS} s; ${WS_BIG.sockets} sockets each echoing ${WS_BIG.bytes / 2 ** 20} MiB at once, ${WS_BIG.rounds} times`,
);
lines.push('');
lines.push(
  '| target | req/s @2 | p50 @2 ms | p99 @2 ms | req/s @32 | p50 @32 ms | p99 @32 ms | CPU µs/req @32 | WS p50 ms | WS p99 ms | WS msg/s | RSS MiB (peak) |',
);
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const [name, r] of results) {
  lines.push(
    `| ${name} | ${fmt(r.http[2].rps)} | ${fmt(r.http[2].p50, 2)} | ${fmt(r.http[2].p99, 2)} | ${fmt(r.http[32].rps)} | ` +
      `${fmt(r.http[32].p50, 2)} | ${fmt(r.http[32].p99, 2)} | ${fmt(r.http[32].cpuPerRequestUs)} | ${fmt(r.ws.sequential.p50, 3)} | ` +
      `${fmt(r.ws.sequential.p99, 3)} | ${fmt(r.ws.sequential.perSecond)} | ${fmt(r.memory.rss)} (${fmt(r.memory.peak)}) |`,
  );
}
lines.push('');
lines.push('| ratio | req/s @2 | p99 @2 | req/s @32 | p99 @32 | CPU/req @32 | WS p99 | WS msg/s |');
lines.push('|---|---|---|---|---|---|---|---|');
const row = (label, a, b) =>
  `| ${label} | ${ratio(a.http[2].rps, b.http[2].rps)} | ${ratio(a.http[2].p99, b.http[2].p99)} | ${ratio(a.http[32].rps, b.http[32].rps)} | ` +
  `${ratio(a.http[32].p99, b.http[32].p99)} | ${ratio(a.http[32].cpuPerRequestUs, b.http[32].cpuPerRequestUs)} | ${ratio(a.ws.sequential.p99, b.ws.sequential.p99)} | ${ratio(a.ws.sequential.perSecond, b.ws.sequential.perSecond)} |`;
lines.push(row('router / pass-through Worker', router, pass));
lines.push(row('router (every telemetry setting on) / pass-through', full, pass));
lines.push(row('router / pass-through, fresh request', router, fresh));
lines.push(row('router / nginx', router, nginx));
lines.push(row('router / direct', router, direct));
lines.push(row('pass-through / direct', pass, direct));
lines.push(row('nginx / direct', nginx, direct));
lines.push('');
lines.push(
  `| WebSocket | seq. msg/s | seq. p99 ms | seq. CPU µs/msg | msg/s @${WS_SOCKETS} | p99 @${WS_SOCKETS} ms | CPU µs/msg @${WS_SOCKETS} | 10 MiB round ms | CPU ms/MiB | peak memory above idle MiB |`,
);
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const [name, { ws }] of results) {
  const { sequential, many, big } = ws;
  lines.push(
    `| ${name} | ${fmt(sequential.perSecond)} | ${fmt(sequential.p99, 3)} | ${fmt(sequential.cpuPerMessageUs)} | ${fmt(many.perSecond)} | ` +
      `${fmt(many.p99, 2)} | ${fmt(many.cpuPerMessageUs)} | ${fmt(big.roundMs)} | ${fmt(big.cpuPerMbMs, 2)} | ${fmt(big.peakAboveMiB)} |`,
  );
}
const wsRatio = (pick) => ratio(pick(router.ws), pick(pass.ws));
lines.push(
  `| router (socket gates) / pass-through | ${wsRatio((w) => w.sequential.perSecond)} | ${wsRatio((w) => w.sequential.p99)} | ` +
    `${wsRatio((w) => w.sequential.cpuPerMessageUs)} | ${wsRatio((w) => w.many.perSecond)} | ${wsRatio((w) => w.many.p99)} | ` +
    `${wsRatio((w) => w.many.cpuPerMessageUs)} | ${wsRatio((w) => w.big.roundMs)} | ${wsRatio((w) => w.big.cpuPerMbMs)} | ${wsRatio((w) => w.big.peakAboveMiB)} |`,
);
if (counted.size > 0) {
  const floor = counted.get('pass-through Worker');
  const freshFloor = counted.get('pass-through, fresh request');
  lines.push('');
  lines.push(`Work per request of the workerd process (callgrind, ${COUNTED_REQUESTS} sequential requests):`);
  lines.push('');
  lines.push(
    '| target | instructions | L1 misses | branch mispredictions | estimated cycles | instructions / pass-through | instructions / pass-through, fresh | cycles / pass-through | cycles / pass-through, fresh |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const [name, work] of counted) {
    const cells = [
      fmt(work.instructions),
      fmt(work.l1Misses),
      fmt(work.mispredictions),
      fmt(work.estimatedCycles),
      ratio(work.instructions, floor.instructions),
      ratio(work.instructions, freshFloor.instructions),
      ratio(work.estimatedCycles, floor.estimatedCycles),
      ratio(work.estimatedCycles, freshFloor.estimatedCycles),
    ];
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  const postRouter = countedPost.get('router');
  const postFloor = countedPost.get('pass-through, fresh request');
  lines.push('');
  lines.push(
    `Sticky POST of ${POST_BODY.length} bytes to ${POST_PATH}, estimated cycles per request: router ${fmt(postRouter.estimatedCycles)}, ` +
      `pass-through, fresh request ${fmt(postFloor.estimatedCycles)}: ${ratio(postRouter.estimatedCycles, postFloor.estimatedCycles)}`,
  );
}
lines.push('');
const verdict = (value, met) => `${value.toFixed(2)} ${met ? 'met' : 'MISSED'}`;
for (const [label, candidate] of [
  ['router', router],
  [FULL_TELEMETRY, full],
]) {
  const figures = CONNECTIONS.map((connections) => {
    const throughput = candidate.http[connections].rps / pass.http[connections].rps;
    const tail = candidate.http[connections].p99 / pass.http[connections].p99;
    return `@${connections}: throughput ${verdict(throughput, throughput >= 0.9)}, p99 ${verdict(tail, tail <= 1.2)}`;
  });
  lines.push(`targets (${label} / pass-through; >= 0.9 and <= 1.2): ${figures.join('; ')}`);
}
console.log(`\n${lines.join('\n')}`);
