/**
 * `npm start`: a local demo cluster of three Co-browse-like nodes, and the router in front of them
 * under `wrangler dev` (workerd), with the socket gates' script and its tail consumer beside it (one
 * `wrangler dev` runs all three configs; the vars go to the router, the first). Offline: no outside
 * connection is opened.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startDemoCluster, stopProcess } from './demo-cluster.mjs';

const ROUTER_PORT = Number(process.env.PORT ?? 8787);
const nodes = await startDemoCluster([
  { id: 'CB_Server_1', port: 8701 },
  { id: 'CB_Server_2', port: 8702 },
  { id: 'CB_Server_3', port: 8703 },
]);
const roster = JSON.stringify(nodes.map(({ id, url }) => ({ id, url })));
// Fresh tokens per run, for the status page and the admin API of this local router only: the admin
// token (status page, node actions) and the roster token (runtime roster changes).
const adminToken = process.env.ADMIN_TOKEN ?? randomBytes(24).toString('hex');
const rosterToken = process.env.ROSTER_TOKEN ?? randomBytes(24).toString('hex');
// The admin plane on a host of its own, as deployed (README "Deploying"): `localhost`, while the
// visitors' pages are served at 127.0.0.1, so no page a node serves shares the status page's origin.
const ADMIN_HOST = 'localhost';

// Run wrangler's own script with this Node: killing that one PID then stops workerd too (killing npx would not).
const wranglerBin = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const router = spawn(
  process.execPath,
  [
    wranglerBin,
    'dev',
    '-c',
    'wrangler.toml',
    '-c',
    'wrangler.gates.toml',
    '-c',
    'wrangler.tail.toml',
    '--port',
    String(ROUTER_PORT),
    '--ip',
    '127.0.0.1',
    '--var',
    `NODES:${roster}`,
    '--var',
    `ADMIN_TOKEN:${adminToken}`,
    '--var',
    `ROSTER_TOKEN:${rosterToken}`,
    '--var',
    `ADMIN_HOST:${ADMIN_HOST}`,
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true' },
  },
);

const base = `http://127.0.0.1:${ROUTER_PORT}`;
const admin = `http://${ADMIN_HOST}:${ROUTER_PORT}`;

/** How long the router may take to answer its own liveness check before the demo gives up. */
const READY_WITHIN_MS = 60_000;

/** Resolves once the router answers `/__lb/health` (the banner's commands work from then on). */
async function routerAnswers() {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/__lb/health`)).ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all([stopProcess(router), ...nodes.map((node) => node.stop())]);
  process.exit(code);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
router.on('exit', (code) => stopAll(code ?? 1));

if (!(await routerAnswers())) {
  console.error(`the router did not answer ${base}/__lb/health within ${READY_WITHIN_MS / 1000} s`);
  await stopAll(1);
}
console.log(`
cobrowse-edge demo
  nodes:   ${nodes.map(({ id, url }) => `${id} ${url}`).join(', ')}
  router:  ${base}  (workerd, via wrangler dev)

  open     ${base}/cobrowse/             demo page: start a session, open a WebSocket, long-poll
           ${admin}/__lb/                 status page (any user name, password ${adminToken});
                                                  its roster page asks for the roster token ${rosterToken}
  try      curl -i -X POST ${base}/cobrowse/session      (note the gcbSessionServer cookie)
           curl -i -b 'gcbSessionServer=.CB_Server_2' ${base}/cobrowse/health
           curl -i '${base}/cobrowse/health?co-browse-node-id=CB_Server_3'
           curl -s -H 'Authorization: Bearer ${adminToken}' ${admin}/__lb/status
           curl -s -X POST -H 'Authorization: Bearer ${adminToken}' ${admin}/__lb/nodes/CB_Server_2/drain
           curl -s -X PUT -H 'Authorization: Bearer ${rosterToken}' -H 'content-type: application/json' -d '{"url":"http://127.0.0.1:8703","weight":2}' ${admin}/__lb/nodes/CB_Server_3
  stop     Ctrl+C
`);
