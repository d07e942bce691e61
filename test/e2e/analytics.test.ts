/**
 * The Analytics Engine data points, as the Worker writes them: the built router (dist/index.js) in raw
 * Miniflare, whose local dataset keeps nothing, so `TRAFFIC` is bound instead to a stand-in Worker that
 * records every `writeDataPoint` call (through RPC, as the runtime's own local dataset forwards them).
 */
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROUTER_RUNTIME, routerWorker } from '../../scripts/bench/targets.mjs';
import { openSocket } from './clients';
import { type DemoNode, startNodes } from './cluster';
import { sleep } from './traffic';

const DATASET_STAND_IN = `import { WorkerEntrypoint } from 'cloudflare:workers';
const points = [];
export class Dataset extends WorkerEntrypoint {
  writeDataPoint(point) { points.push(point); }
}
export default { fetch() { return Response.json(points); } };`;

interface DataPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

let nodes: DemoNode[];
let mf: Miniflare;
let url: string;

beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1', 'CB_Server_2']);
  const { analyticsEngineDatasets: _local, ...router } = routerWorker(nodes) as Record<string, unknown>;
  mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: () => {},
      workers: [
        {
          name: 'router',
          modules: true,
          ...router,
          serviceBindings: { TRAFFIC: { name: 'dataset', entrypoint: 'Dataset' } },
        },
        {
          name: 'dataset',
          modules: true,
          compatibilityDate: ROUTER_RUNTIME.compatibilityDate,
          script: DATASET_STAND_IN,
        },
      ],
      // The router's options come from targets.mjs, untyped.
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  url = (await mf.ready).origin;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await Promise.all((nodes ?? []).map((node) => node.stop()));
});

async function written(): Promise<DataPoint[]> {
  const dataset = await mf.getWorker('dataset');
  return (await (await dataset.fetch('http://dataset/')).json()) as DataPoint[];
}

it('writes one data point per proxied request: node, reason, status class, location, kind; status and time', async () => {
  await fetch(`${url}/cobrowse/session`, {
    method: 'POST',
    headers: { cookie: 'gcbSessionServer=.CB_Server_1', 'cf-ray': '8f1e2d3c4b5a6978-LHR' },
  });
  await fetch(`${url}/cobrowse/missing?co-browse-node-id=CB_Server_2`);
  const socket = await openSocket(`${url.replace('http', 'ws')}/cobrowse/ws`, {
    cookie: 'gcbSessionServer=.CB_Server_2',
  });
  socket.socket.close();
  // Refused before any node: no node, no data point.
  await fetch(`${url}/elsewhere`);
  await sleep(300);

  const points = await written();
  expect(points.map(({ indexes, blobs }) => [...indexes, ...blobs])).toEqual([
    ['CB_Server_1', 'CB_Server_1', 'sticky', '2xx', 'LHR', 'http'],
    ['CB_Server_2', 'CB_Server_2', 'url', '4xx', 'local', 'http'],
    ['CB_Server_2', 'CB_Server_2', 'sticky', '1xx', 'local', 'websocket'],
  ]);
  expect(points.map(({ doubles }) => doubles[0])).toEqual([201, 404, 101]);
  for (const { doubles } of points) expect(doubles[1]).toBeGreaterThanOrEqual(0);
});
