/**
 * A client that goes away while its node works on the request. Deployed, the runtime aborts
 * `request.signal` on the client's disconnect (the `enable_request_signal` flag, wrangler.toml); local
 * workerd never does (TOOLCHAIN.md; over the wire: test/e2e/abandoned.test.ts), so this test hands the
 * Worker a request whose signal it aborts itself, as the runtime would, and watches the real node: the
 * held long-poll must end there at once, and nothing (in-flight gauge, watch, failure) may stay behind
 * or blame the node.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { expect, it } from 'vitest';
import type { AppEnv } from '../../src/admin/app-env';
import worker from '../../src/index';
import { isolate } from '../../src/worker/isolate';

const nodes = env.NODES as unknown as { id: string; url: string }[];
const ok = nodes.find((node) => node.id === 'ok') as { url: string };

async function openPolls(): Promise<number> {
  const control = await fetch(`${ok.url}/cobrowse/control`);
  return ((await control.json()) as { open: { polls: number } }).open.polls;
}

async function until(condition: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

it('ends the request at its node as soon as the client is gone, and leaves nothing behind', async () => {
  expect(await openPolls()).toBe(0);
  isolate.tally.takeReport();
  const client = new AbortController();
  const ctx = createExecutionContext();
  // A long-poll held 20 s by the node, past the watch's first tick (250 ms) so it is watched too.
  const answer = worker.fetch(
    new Request('https://edge.example.com/cobrowse/poll?wait=20000', {
      headers: { cookie: 'gcbSessionServer=.ok' },
      signal: client.signal,
    }),
    // The test environment's bindings are the Worker's (wrangler.toml and the test's vars).
    env as AppEnv['Bindings'],
    ctx,
  );
  await until(async () => (await openPolls()) === 1, 5000);
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(isolate.watches.size, 'watched while it waits').toBe(1);

  client.abort();
  const response = await answer;
  expect(response.status).toBe(499);
  expect(await response.json()).toMatchObject({ error: 'client_gone' });
  const endedAtNodeMs = await until(async () => (await openPolls()) === 0, 2000);
  console.log(`long-poll ended at the node ${endedAtNodeMs} ms after the client left`);
  await waitOnExecutionContext(ctx);

  expect(isolate.watches.size).toBe(0);
  const report = isolate.tally.takeReport();
  expect(report.gauges).toEqual({});
  // Counted as the client's doing (a 4xx answer: 499), not as a failure of the node: the board has the
  // counts (those a hand-over already took, and the rest handed over here) and no failure report.
  const board = env.HEALTH.get(env.HEALTH.idFromName('health'));
  const health = await board.snapshot(report);
  expect(health.nodes.find((node) => node.id === 'ok')?.failures).toBe(0);
  const traffic = (await board.traffic()).nodes.find((node) => node.id === 'ok');
  expect(traffic?.totals.responses['4xx']).toBe(1);
  expect(traffic?.totals.failures).toEqual({ unreachable: 0, timeout: 0, 'node-down': 0, status: 0 });
});
