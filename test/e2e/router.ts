/**
 * The router under test: the real Worker from wrangler.toml, in workerd via wrangler's
 * `unstable_startWorker`, on a free loopback port, with vars overridden per test file.
 */
import { unstable_startWorker } from 'wrangler';

export interface RunningRouter {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every JSON line the Worker logged, in order. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts the Worker with these vars (each a JSON value, as `--var` would give it). */
export async function startRouter(vars: Record<string, unknown>): Promise<RunningRouter> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  const logs: Record<string, unknown>[] = [];
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    bindings: Object.fromEntries(
      Object.entries(vars).map(([name, value]) => [name, { type: 'json' as const, value }]),
    ),
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      watch: false,
      // In-memory Durable Object state: every router under test starts with a fresh health board.
      persist: false,
      logLevel: 'none',
      structuredLogsHandler: ({ message }: { message: string }) => {
        if (message.startsWith('{')) logs.push(JSON.parse(message));
      },
    },
  });
  await worker.ready;
  const url = (await worker.url).origin;
  return { url, logs, stop: () => worker.dispose() };
}
