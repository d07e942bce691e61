/**
 * The built router (dist/index.js) in raw Miniflare with what it costs made countable: `TRAFFIC` bound
 * to a stand-in Worker that records every `writeDataPoint` call (Miniflare's local dataset keeps
 * nothing; the stand-in is reached through RPC, as the runtime's own local dataset forwards them), and
 * every log line it writes kept.
 */
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { deployment, ROUTER_RUNTIME, routerWorker } from '../../../scripts/bench/targets.mjs';
import type { DemoNode } from './cluster';

const DATASET_STAND_IN = `import { WorkerEntrypoint } from 'cloudflare:workers';
const points = [];
export class Dataset extends WorkerEntrypoint {
  writeDataPoint(point) { points.push(point); }
}
export default { fetch() { return Response.json(points); } };`;

export interface DataPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

export interface RecordedRouter {
  readonly url: string;
  /** Every log line, parsed, in order. */
  readonly logs: Record<string, unknown>[];
  /** Every data point written so far. */
  points(): Promise<DataPoint[]>;
  stop(): Promise<void>;
}

export async function startRecordedRouter(
  nodes: readonly DemoNode[],
  vars: Record<string, unknown> = {},
): Promise<RecordedRouter> {
  const { analyticsEngineDatasets: _local, ...router } = routerWorker(nodes, vars) as Record<string, unknown>;
  const logs: Record<string, unknown>[] = [];
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: ({ message }: { message: string }) => {
        if (message.startsWith('{')) logs.push(JSON.parse(message));
      },
      workers: [
        ...deployment({
          modules: true,
          ...router,
          serviceBindings: { TRAFFIC: { name: 'dataset', entrypoint: 'Dataset' } },
        }).map((worker) => ({
          modules: true,
          compatibilityDate: ROUTER_RUNTIME.compatibilityDate,
          ...worker,
        })),
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
  const url = (await mf.ready).origin;
  return {
    url,
    logs,
    async points() {
      const dataset = await mf.getWorker('dataset');
      return (await (await dataset.fetch('http://dataset/')).json()) as DataPoint[];
    },
    stop: () => mf.dispose(),
  };
}
