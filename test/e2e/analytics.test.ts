/**
 * The Analytics Engine data points, as the Worker writes them (recorded-router.ts: the built router
 * with `TRAFFIC` bound to a stand-in that records every point).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSocket } from './support/clients';
import { type DemoNode, startNodes } from './support/cluster';
import { type RecordedRouter, startRecordedRouter } from './support/recorded-router';

let nodes: DemoNode[];
let router: RecordedRouter;
let url: string;

beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1', 'CB_Server_2']);
  // Every point, for the layout (the default samples routine ones: cost.test.ts).
  router = await startRecordedRouter(nodes, { ANALYTICS_SAMPLE_RATE: 1 });
  url = router.url;
}, 60_000);

afterAll(async () => {
  await router?.stop();
  await Promise.all((nodes ?? []).map((node) => node.stop()));
});

const written = () => router.points();

it('writes a data point per proxied request: node, reason, status class, location, kind; status, time, weight', async () => {
  await fetch(`${url}/cobrowse/session`, {
    method: 'POST',
    headers: { cookie: 'gcbSessionServer=.CB_Server_1', 'cf-ray': '8f1e2d3c4b5a6978-LHR' },
  });
  await fetch(`${url}/cobrowse/missing?co-browse-node-id=CB_Server_2`);
  // Headers after 250 ms: its point's duration must show them.
  await (await fetch(`${url}/cobrowse/bulk?bytes=10&after=250&co-browse-node-id=CB_Server_1`)).arrayBuffer();
  const socket = await openSocket(`${url.replace('http', 'ws')}/cobrowse/ws`, {
    cookie: 'gcbSessionServer=.CB_Server_2',
  });
  socket.socket.close();
  // Refused before any node: no node, no data point. It is sent before the socket's point is waited
  // for, so a point of its own would be among those counted below.
  await fetch(`${url}/elsewhere`);
  await expect.poll(async () => (await written()).length).toBeGreaterThanOrEqual(4);

  const points = await written();
  expect(points.map(({ indexes, blobs }) => [...indexes, ...blobs])).toEqual([
    ['CB_Server_1', 'CB_Server_1', 'sticky', '2xx', 'LHR', 'http'],
    ['CB_Server_2', 'CB_Server_2', 'url', '4xx', 'local', 'http'],
    ['CB_Server_1', 'CB_Server_1', 'url', '2xx', 'local', 'http'],
    ['CB_Server_2', 'CB_Server_2', 'sticky', '1xx', 'local', 'websocket'],
  ]);
  expect(points.map(({ doubles }) => doubles[0])).toEqual([201, 404, 200, 101]);
  const durations = points.map(({ doubles }) => doubles[1] as number);
  for (const duration of durations) expect(duration).toBeGreaterThanOrEqual(0);
  expect(durations[2]).toBeGreaterThanOrEqual(250);
  expect(durations[2]).toBeLessThan(5000);
  expect(points.map(({ doubles }) => doubles[2])).toEqual([1, 1, 1, 1]);
});
