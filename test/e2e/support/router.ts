/**
 * The router under test: the deployment's three scripts as built for upload (the router, the socket
 * gates and their tail consumer: scripts/build-worker.mjs, built once by the global setup), in one
 * workerd through raw Miniflare, each with the bindings its real wrangler config declares (wrangler's
 * own translation of the config), on a free loopback port, with the router's vars overridden per test
 * file. No inspector: with one, a Durable Object's trace waits for the object's next invocation
 * (TOOLCHAIN.md), which would delay every socket's end report by seconds.
 */
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { SCRIPTS } from '../../../scripts/build-worker.mjs';

export interface RunningRouter {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every JSON line the Worker logged, in order. */
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts the deployment with these router vars (each a JSON value, as `--var` would give it). */
export async function startRouter(vars: Record<string, unknown>): Promise<RunningRouter> {
  const logs: Record<string, unknown>[] = [];
  const workers = SCRIPTS.map(({ name, config, outdir }, index) => {
    // Its module rules are for bundling the source; the built bundle is one module.
    const {
      modulesRules: _source,
      rootPath: _root,
      ...declared
    } = unstable_getMiniflareWorkerOptions(config).workerOptions;
    const declaredVars = declared.bindings as Record<string, unknown> | undefined;
    const bindings = index === 0 ? { ...declaredVars, ...vars } : declaredVars;
    return { ...declared, name, modules: true, scriptPath: `${outdir}/index.js`, bindings };
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: ({ message }: { message: string }) => {
        if (message.startsWith('{')) logs.push(JSON.parse(message));
      },
      workers,
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const url = (await mf.ready).origin;
  return { url, logs, stop: () => mf.dispose() };
}
