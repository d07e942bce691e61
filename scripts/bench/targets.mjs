/**
 * What the benchmark measures, each started on loopback and reporting the PID of the process that
 * does the proxying (for its CPU and memory):
 * - the router: the built Worker (dist/index.js) in raw Miniflare: one workerd process, the same
 *   runtime as production without wrangler dev's extra proxy hop (which costs ~3x);
 * - minimal pass-through Workers in the same runtime: the floor our code is compared with;
 * - nginx running the guide's nginx sample (Sample Two), adapted to loopback ports;
 * - the origin node itself, direct.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { unstable_readConfig } from 'wrangler';

/**
 * The runtime the router is deployed with, read from wrangler.toml (its one source): the compatibility
 * date, which every Worker here runs at, and the router's flags.
 */
const deployed = unstable_readConfig({ config: 'wrangler.toml' });
const COMPATIBILITY_DATE = deployed.compatibility_date;
export const ROUTER_RUNTIME = {
  compatibilityDate: COMPATIBILITY_DATE,
  compatibilityFlags: deployed.compatibility_flags,
};

/** PIDs of this process's workerd children: Miniflare does not say which one it started. */
function workerdChildren() {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('workerd'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/**
 * Starts one Worker, or several (the first answers the Miniflare's URL), in one Miniflare; `shared`
 * adds Miniflare-wide options (an inspector port).
 */
export async function startMiniflare(workers, shared = {}) {
  const before = new Set(workerdChildren());
  const each = (worker) => ({ compatibilityDate: COMPATIBILITY_DATE, modules: true, ...worker });
  // Miniflare 5 nests its options differently; this converts the classic (v4) shape, which is documented.
  const options = convertV4MiniflareOptions({
    host: '127.0.0.1',
    port: 0,
    // The Worker's log lines are part of its cost; they are dropped here, not in the Worker.
    handleStructuredLogs: () => {},
    ...shared,
    ...(Array.isArray(workers) ? { workers: workers.map(each) } : each(workers)),
  });
  const mf = new Miniflare(options);
  const url = (await mf.ready).origin;
  const pid = workerdChildren().find((candidate) => !before.has(candidate));
  return { url, pid, stop: () => mf.dispose() };
}

/**
 * The built router (dist/index.js) as a Miniflare worker, with `vars` added to its config. A node's
 * `via`, when given, names the binding that reaches it.
 */
export function routerWorker(nodes, vars = {}) {
  return {
    name: ROUTER,
    ...ROUTER_RUNTIME,
    scriptPath: 'dist/index.js',
    bindings: { NODES: nodes.map(({ id, url, via }) => (via ? { id, url, via } : { id, url })), ...vars },
    durableObjects: {
      HEALTH: { className: 'HealthBoard', useSQLite: true },
      SOCKETS: { className: 'SocketGate', useSQLite: true, scriptName: GATES },
    },
    // As wrangler.toml declares it: Miniflare's local dataset takes every write and keeps none.
    analyticsEngineDatasets: { TRAFFIC: { dataset: 'cobrowse_edge_requests' } },
  };
}

/** The script names, as the three configs bind each other. */
const ROUTER = 'cobrowse-edge';
const GATES = 'cobrowse-edge-gates';
const TAIL = 'cobrowse-edge-tail';

/**
 * The whole deployment around `router` (a routerWorker): the router, the socket gates' script with
 * its tail consumer listed (the real one: the runtime hands it each handshake's trace when the socket
 * ends), and that consumer, as their wrangler configs declare them. `gates` adds options to the gates'
 * script (the bindings a node's `via` names: the gates reach the nodes too).
 */
export function deployment(router, gates = {}) {
  return [
    router,
    {
      name: GATES,
      ...ROUTER_RUNTIME,
      scriptPath: 'dist/gates/index.js',
      durableObjects: {
        GATES: { className: 'SocketGate', useSQLite: true },
        HEALTH: { className: 'HealthBoard', useSQLite: true, scriptName: router.name ?? ROUTER },
      },
      tails: [{ name: TAIL }],
      ...gates,
    },
    {
      name: TAIL,
      compatibilityDate: COMPATIBILITY_DATE,
      scriptPath: 'dist/tail/index.js',
      durableObjects: { SOCKETS: { className: 'SocketGate', useSQLite: true, scriptName: GATES } },
    },
  ];
}

export function startRouter(nodes, vars = {}) {
  return startMiniflare(deployment(routerWorker(nodes, vars)));
}

/**
 * A Worker that sends every request to `origin` and does nothing else. By default the incoming
 * request itself is the fetch's init; `fresh` builds a new one from its method, headers and body, as
 * the router does: that skips copying the request's `cf` object, which Miniflare fills with about 30
 * fields and which costs more than our whole code path (see BENCHMARKS.md).
 */
export function passThroughWorker(origin, { fresh = false } = {}) {
  const init = fresh ? '{ method: request.method, headers: request.headers, body: request.body }' : 'request';
  return {
    script: `export default {
      fetch(request) {
        const url = new URL(request.url);
        return fetch(${JSON.stringify(origin)} + url.pathname + url.search, ${init});
      },
    };`,
  };
}

export function startPassThrough(origin, options) {
  return startMiniflare(passThroughWorker(origin, options));
}

/** The guide's "Sample Two for Nginx", with its nodes on loopback and its files in a temp folder. */
function nginxConfig(dir, port, nodes) {
  const servers = nodes
    .map((node) => `    server ${node.url.slice('http://'.length)} fail_timeout=5s;`)
    .join('\n');
  const map = nodes.map((node) => `    .${node.id} ${node.url.slice('http://'.length)};`).join('\n');
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                  '$status $body_bytes_sent "$http_referer" '
                  '"$http_user_agent" "$http_x_forwarded_for"';
  access_log ${dir}/access.log main;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream http_cobrowse_cluster {
${servers}
  }
  map $cookie_gcbSessionServer $sticky_backend {
    default 0;
${map}
  }
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
  }
  server {
    listen 127.0.0.1:${port};
    location @fallback {
      proxy_pass http://http_cobrowse_cluster;
    }
    location /cobrowse {
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_buffers 8 2m;
      proxy_buffer_size 10m;
      proxy_busy_buffers_size 10m;
      proxy_connect_timeout 5s;
      error_page 502 = @fallback;
      error_page 504 = @fallback;
      if ($sticky_backend) {
        proxy_pass http://$sticky_backend$uri?$args;
      }
      proxy_pass http://http_cobrowse_cluster;
    }
  }
}
`;
}

export async function startNginx(nodes, port) {
  const dir = mkdtempSync(join(tmpdir(), 'cobrowse-bench-nginx-'));
  execFileSync('chmod', ['777', dir]);
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, nodes));
  const master = spawn(
    'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
    {
      stdio: 'inherit',
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`${url}/cobrowse/health`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const worker = Number(
    execFileSync('ps', ['-o', 'pid=', '--ppid', String(master.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
  return {
    url,
    pid: worker,
    stop: () =>
      new Promise((resolve) => {
        master.once('exit', resolve);
        master.kill('SIGTERM');
      }),
  };
}
