/**
 * The counts behind the bill (docs/costs.md "What it costs"), from a real run of the built router at the
 * documented defaults: log lines, Analytics Engine data points and health board calls per proxied
 * request. A change that adds one of them per request fails here. Failures stay whole: every failed,
 * retried or moved request still gets its line and a point of weight 1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closedPort } from '../../scripts/demo-cluster.mjs';
import { type DemoNode, startNodes } from './support/cluster';
import { type RecordedRouter, startRecordedRouter } from './support/recorded-router';

const ADMIN_TOKEN = 'cost-token-0123456789abcdef012345678';
const REQUESTS = 2000;

let nodes: DemoNode[];
let router: RecordedRouter;

beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1', 'CB_Server_2']);
  const dead = { id: 'CB_Dead', url: `http://127.0.0.1:${await closedPort()}` } as DemoNode;
  // The documented defaults, but for the admin token that reads the board's call count.
  router = await startRecordedRouter([...nodes, dead], { ADMIN_TOKEN });
}, 60_000);

afterAll(async () => {
  await router?.stop();
  await Promise.all((nodes ?? []).map((node) => node.stop()));
});

const boardCalls = async () =>
  (
    (await (
      await fetch(`${router.url}/__lb/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { healthBoardCalls: number }
  ).healthBoardCalls;

/** `count` GETs of `path` with `cookie`, 8 at a time. */
async function send(count: number, path: string, cookie: string): Promise<void> {
  for (let i = 0; i < count; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, count - i) }, async () => {
        const res = await fetch(`${router.url}${path}`, { headers: { cookie } });
        await res.arrayBuffer();
      }),
    );
  }
}

it('writes a twentieth of a data point and a hundredth of a log line per routine request, and calls the board far less than once', async () => {
  await send(50, '/cobrowse/health', 'gcbSessionServer=.CB_Server_1');
  const [linesBefore, pointsBefore, callsBefore] = [
    router.logs.length,
    (await router.points()).length,
    await boardCalls(),
  ];
  const started = Date.now();
  await send(REQUESTS, '/cobrowse/health', 'gcbSessionServer=.CB_Server_1');
  const seconds = (Date.now() - started) / 1000;
  // The board's count includes this read: one call.
  const calls = (await boardCalls()) - callsBefore - 1;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const lines = router.logs.slice(linesBefore).filter((line) => line.msg === 'request');
  const points = (await router.points()).slice(pointsBefore);
  const weights = points.map((point) => point.doubles[2] as number);
  console.log(
    `${REQUESTS} sticky GETs in ${seconds.toFixed(1)} s: ${lines.length} log lines, ${points.length} data points ` +
      `(weights summing to ${weights.reduce((sum, weight) => sum + weight, 0)}), ${calls} health board calls`,
  );
  // Data points: one in 20, each of weight 20; their weights count the requests to within one interval.
  expect(points.length).toBeGreaterThanOrEqual(REQUESTS / 20 - 1);
  expect(points.length).toBeLessThanOrEqual(REQUESTS / 20 + 1);
  expect(new Set(weights)).toEqual(new Set([20]));
  // Log lines: LOG_SAMPLE_RATE 0.01 of them, each marked (20 expected; 4.5 standard deviations).
  expect(lines.length).toBeLessThanOrEqual(40);
  for (const line of lines) expect(line.sampleRate).toBe(0.01);
  // The board: a refresh a second at most, and the hand-overs (every 5 s): far under one per request.
  expect(calls / REQUESTS).toBeLessThan(0.02);
  expect(calls / seconds).toBeLessThanOrEqual(3);
});

it('keeps every failure whole: each request moved off a dead node gets its line and a point of weight 1', async () => {
  const [linesBefore, pointsBefore] = [router.logs.length, (await router.points()).length];
  await send(40, '/cobrowse/health', 'gcbSessionServer=.CB_Dead');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const lines = router.logs.slice(linesBefore).filter((line) => line.msg === 'request');
  const points = (await router.points()).slice(pointsBefore);
  expect(lines).toHaveLength(40);
  for (const line of lines) expect(line).toMatchObject({ reason: 'owner-down' });
  expect(lines.every((line) => line.sampleRate === undefined)).toBe(true);
  expect(points).toHaveLength(40);
  expect(points.every((point) => point.doubles[2] === 1 && point.blobs[1] === 'owner-down')).toBe(true);
});
