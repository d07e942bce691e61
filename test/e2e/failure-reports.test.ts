/**
 * Passive failure reports batched per isolate and node: a node answering 503 to a busy endpoint puts
 * a few calls a second on the health board, not one per request; a node that dies is still found
 * as fast (its second failure asks for a check at once).
 */
import { expect, it } from 'vitest';
import { useCluster } from './support/cluster';

const ADMIN_TOKEN = 'failure-reports-token-0123456789abcd';
// Checks a minute apart: every board call in this test is the router's own.
const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], { ADMIN_TOKEN, HEALTH_INTERVAL_MS: 60_000 });
const REQUESTS = 1000;

async function boardCalls(): Promise<number> {
  const res = await fetch(`${cluster.router.url}/__lb/status`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return ((await res.json()) as { healthBoardCalls: number }).healthBoardCalls;
}

it('1,000 answers of 503 cost the board a handful of calls, and the node stays up (its checks pass)', async () => {
  const before = await boardCalls();
  const started = Date.now();
  let next = 0;
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next++ < REQUESTS) {
        const res = await fetch(`${cluster.router.url}/cobrowse/status/503`, {
          headers: { cookie: 'gcbSessionServer=.CB_Server_1' },
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const calls = (await boardCalls()) - before - 1;
  console.log(
    `${REQUESTS} answers of 503 in ${seconds.toFixed(1)} s: ${calls} board calls (${(calls / seconds).toFixed(1)}/s), not one per request`,
  );
  expect(statuses.filter((status) => status === 503)).toHaveLength(REQUESTS);
  // At most one report per node every BATCH_INTERVAL_MS, plus the isolate's health refreshes (about
  // one a second): a few a second. Without batching: one per answer, a thousand.
  expect(calls / seconds).toBeLessThan(8);
  const status = await fetch(`${cluster.router.url}/__lb/status`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const { nodes } = (await status.json()) as { nodes: { id: string; up: boolean }[] };
  expect(nodes.find((node) => node.id === 'CB_Server_1')?.up).toBe(true);
});
