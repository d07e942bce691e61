/**
 * Degraded mode: when no socket gate can be reached, a WebSocket handshake still succeeds, piped
 * straight through from the Worker: working, not cuttable. Counted per node and logged once a minute
 * per isolate. The router runs as deployed (dist/index.js) in raw Miniflare, its SOCKETS binding bound
 * to a stand-in gate whose every request fails, as an overloaded or unreachable object's would.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROUTER_RUNTIME, routerWorker } from '../../scripts/bench/targets.mjs';
import { openSocket } from './support/clients';
import { type DemoNode, rosterOf, startNodes } from './support/cluster';
import { sleep } from './support/traffic';

const { Miniflare, convertV4MiniflareOptions } = createRequire(import.meta.url)('miniflare');
const ADMIN_TOKEN = 'gate-unreachable-token-0123456789abc';
const HANDSHAKES = 3;

let nodes: DemoNode[] = [];
let router: { url: string; logs: Record<string, unknown>[]; dispose(): Promise<void> };

beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1']);
  const logs: Record<string, unknown>[] = [];
  const worker = routerWorker(rosterOf(nodes), { ADMIN_TOKEN }) as { durableObjects: object };
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: ({ message }: { message: string }) => {
        if (message.startsWith('{')) logs.push(JSON.parse(message));
      },
      workers: [
        {
          name: 'router',
          modules: true,
          ...worker,
          durableObjects: {
            ...worker.durableObjects,
            SOCKETS: { className: 'UnreachableGate', scriptName: 'unreachable-gate' },
          },
        },
        {
          name: 'unreachable-gate',
          compatibilityDate: ROUTER_RUNTIME.compatibilityDate,
          modules: true,
          script: `import { DurableObject } from 'cloudflare:workers';
            export class UnreachableGate extends DurableObject {
              fetch() { throw new Error('the gate cannot be reached'); }
            }
            export default { fetch: () => new Response(null, { status: 404 }) };`,
          durableObjects: { GATE: { className: 'UnreachableGate' } },
        },
      ],
    }),
  );
  const url = (await mf.ready).origin;
  router = { url, logs, dispose: () => mf.dispose() };
});

afterAll(async () => {
  await router?.dispose();
  await Promise.all(nodes.map((node) => node.stop()));
});

it('a handshake still opens its socket, straight through, counted as uncuttable and logged once', async () => {
  for (let i = 0; i < HANDSHAKES; i++) {
    const socket = await openSocket(`${router.url.replace('http', 'ws')}/cobrowse/ws`, {
      cookie: 'gcbSessionServer=.CB_Server_1',
    });
    await socket.next();
    socket.socket.send(`still works ${i}`);
    expect(JSON.parse(await socket.next())).toEqual({ node: 'CB_Server_1', echo: `still works ${i}` });
    socket.socket.close(1000);
  }
  const unreachable = router.logs.filter((line) => line.msg === 'socket gate unreachable');
  expect(unreachable).toHaveLength(1);
  expect(unreachable[0]).toMatchObject({
    node: 'CB_Server_1',
    error: expect.stringContaining('cannot be reached'),
  });
  // Counted per node, handed to the board with the isolate's counts.
  await sleep(6000);
  const res = await fetch(`${router.url}/__lb/status`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const { nodes: status } = (await res.json()) as {
    nodes: { traffic: { totals: { webSocketsOpened: number; webSocketsUncuttable: number } } }[];
  };
  expect(status[0]?.traffic.totals).toMatchObject({
    webSocketsOpened: HANDSHAKES,
    webSocketsUncuttable: HANDSHAKES,
  });
});
