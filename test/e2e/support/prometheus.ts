/**
 * A real Prometheus (Debian's `prometheus` package) that scrapes the router's `/__lb/metrics` the way an
 * operator's would: over HTTP, every second, with the admin token as a bearer credential. Tests then read
 * the scraped series back through Prometheus's own query API, so the exposition format is judged by the
 * real parser rather than by ours. Everything stays on 127.0.0.1; config and TSDB live in a temp dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS = '/usr/bin/prometheus';
/** The scrape job's name, i.e. the `job` label on every scraped series. */
export const JOB = 'cobrowse-edge';

const READY_TIMEOUT_MS = 20_000;
const KILL_AFTER_MS = 5_000;
const LOG_LINES_KEPT = 40;

/**
 * Is Debian's Prometheus installed? Without it the scrape test is skipped on a developer's machine
 * (`apt-get install prometheus`) and fails in CI, where .ci/run installs it.
 */
export function prometheusPresent(): boolean {
  if (existsSync(PROMETHEUS)) return true;
  if (process.env.CI) throw new Error(`${PROMETHEUS} is missing: .ci/run must install Debian's prometheus`);
  console.warn(`Prometheus test skipped: no ${PROMETHEUS} (apt-get install prometheus)`);
  return false;
}

export interface RunningPrometheus {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /**
   * Instant query through `/api/v1/query`; returns the result vector as `[{ metric, value }]`. Throws if
   * the query fails or its result is not an instant vector.
   */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  /**
   * Resolves once Prometheus itself sees the target up (`up{job="cobrowse-edge"} == 1`); after timeoutMs
   * (default 15 s) throws an Error that carries the target's last scrape error. Expect about 5 s even
   * for a healthy target: Prometheus 2.x applies discovered targets to its scrape loops at most every 5 s.
   */
  waitForTarget(timeoutMs?: number): Promise<void>;
  /** Stops the process (SIGTERM, SIGKILL after 5 s) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** The router's origin, e.g. `http://127.0.0.1:8787`; only scheme, host and port are used. */
  targetUrl: string;
  /** Defaults to `/__lb/metrics`. */
  metricsPath?: string;
  /** Sent as `Authorization: Bearer <token>` on every scrape. */
  bearerToken: string;
}

/** Starts Prometheus scraping `targetUrl` + metricsPath every 1 s with the bearer token; resolves once ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const target = new URL(options.targetUrl);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new Error(`targetUrl must be http(s): ${options.targetUrl}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'cobrowse-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  // JSON strings are valid YAML scalars, so JSON.stringify quotes every value safely.
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(JOB)}`,
    '    scrape_interval: 1s',
    '    scrape_timeout: 1s',
    `    scheme: ${JSON.stringify(target.protocol.replace(/:$/, ''))}`,
    `    metrics_path: ${JSON.stringify(options.metricsPath ?? '/__lb/metrics')}`,
    '    authorization:',
    '      type: Bearer',
    `      credentials: ${JSON.stringify(options.bearerToken)}`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(target.host)}]`,
    '',
  ].join('\n');
  await writeFile(configFile, config);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // No proxy variables: every request Prometheus makes must go straight to loopback.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(https?|all|no)_proxy$/i.test(name)),
  );
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=info',
    ],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = collectLog(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && !spawnError) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    await waitForReady(url, child, () => spawnError);
  } catch (error) {
    await stop();
    throw new Error(`Prometheus did not start: ${(error as Error).message}\n--- log ---\n${log()}`);
  }

  const query = async (promql: string): Promise<{ metric: Record<string, string>; value: number }[]> => {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as QueryResponse;
    if (body.status !== 'success' || !body.data) {
      throw new Error(`query ${promql} failed: ${body.errorType ?? response.status} ${body.error ?? ''}`);
    }
    if (body.data.resultType !== 'vector') {
      throw new Error(`query ${promql} returned a ${body.data.resultType}, not a vector`);
    }
    return body.data.result.map(({ metric, value }) => ({ metric, value: parseSample(value[1]) }));
  };

  const waitForTarget = async (timeoutMs = 15_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await query(`up{job=${JSON.stringify(JOB)}} == 1`)).length > 0) return;
      if (Date.now() >= deadline) {
        throw new Error(`scrape target ${target.host} not up after ${timeoutMs} ms: ${await lastError(url)}`);
      }
      await sleep(250);
    }
  };

  return { url, query, waitForTarget, stop };
}

interface QueryResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  errorType?: string;
  error?: string;
}

/** Prometheus encodes sample values as strings, with `+Inf`, `-Inf` and `NaN` spelled its own way. */
function parseSample(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** The job's targets as Prometheus reports them, health and last scrape error, for failure messages. */
async function lastError(url: string): Promise<string> {
  try {
    const response = await fetch(`${url}/api/v1/targets?state=active`);
    const body = (await response.json()) as {
      data?: { activeTargets?: { labels: Record<string, string>; health: string; lastError: string }[] };
    };
    const targets = (body.data?.activeTargets ?? []).filter((t) => t.labels.job === JOB);
    if (targets.length === 0) return 'no active target';
    return targets.map((t) => `health=${t.health} lastError=${JSON.stringify(t.lastError)}`).join('; ');
  } catch (error) {
    return `targets API unavailable (${(error as Error).message})`;
  }
}

/** Polls `/-/ready` until it answers 200; throws if the process exits or READY_TIMEOUT_MS passes. */
async function waitForReady(url: string, child: ChildProcess, spawnError: () => Error | undefined) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const error = spawnError();
    if (error) throw error;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() >= deadline) throw new Error(`not ready after ${READY_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

/** Keeps the last LOG_LINES_KEPT lines the process wrote (Prometheus logs to stderr). */
function collectLog(child: ChildProcess): () => string {
  const lines: string[] = [];
  let partial = '';
  const take = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    lines.splice(0, Math.max(0, lines.length - LOG_LINES_KEPT));
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => [...lines, partial].filter((line) => line !== '').join('\n');
}

/** A loopback port that was free a moment ago (bound to port 0, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || !address) {
        server.close();
        reject(new Error('listener has no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
