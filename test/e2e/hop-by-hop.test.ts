/**
 * Hop-by-hop fields (RFC 9110 7.6.1), both ways, through the Worker as deployed: its bundle in raw
 * Miniflare. wrangler dev's proxy hop would consume the client's Connection before the Worker runs.
 *
 * The router removes every hop-by-hop field and the fields Connection names; workerd also drops and
 * writes Connection, Keep-Alive, TE, Trailer, Transfer-Encoding and Upgrade itself for each
 * connection, but passes Proxy-* and Connection-named fields on. These tests prove that none of them
 * crosses.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployment, routerWorker, startMiniflare } from '../../scripts/bench/targets.mjs';
import { HOP_BY_HOP } from '../../src/worker/headers';
import { type DemoNode, startNodes } from './support/cluster';
import { httpGet } from './support/raw-client';

let nodes: DemoNode[];
let router: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1']);
  router = await startMiniflare(deployment(routerWorker(nodes)));
}, 60_000);
afterAll(async () => {
  await router?.stop();
  await Promise.all((nodes ?? []).map((node) => node.stop()));
});

it("keeps the client's hop-by-hop fields, and those its Connection names, from the node", async () => {
  const res = await httpGet(`${router.url}/cobrowse/echo`, {
    cookie: 'gcbSessionServer=.CB_Server_1',
    connection: 'keep-alive, X-Client-Hop',
    'x-client-hop': 'secret',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    upgrade: 'h2c',
    'proxy-connection': 'keep-alive',
    'proxy-authorization': 'Basic c2VjcmV0',
    'x-kept': '1',
  });
  // Node's client refuses to send Trailer without a chunked body; the node's side below covers it.
  expect(res.status).toBe(200);
  const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
  for (const name of [...HOP_BY_HOP, 'x-client-hop']) expect(seen[name], name).toBeUndefined();
  expect(seen['x-kept']).toBe('1');
});

it("keeps the node's hop-by-hop fields, and those its Connection names, from the client", async () => {
  const query = new URLSearchParams({
    connection: 'keep-alive, X-Node-Hop',
    'x-node-hop': 'secret',
    'keep-alive': 'timeout=9',
    'proxy-authenticate': 'Basic',
    'proxy-connection': 'keep-alive',
    trailer: 'x-t',
    upgrade: 'h2c',
    'x-kept': '1',
  });
  const res = await httpGet(`${router.url}/cobrowse/headers?${query}`, {
    cookie: 'gcbSessionServer=.CB_Server_1',
  });
  expect(res.status).toBe(200);
  // Transfer-Encoding may be the runtime's own framing of this answer; every other field must be absent.
  for (const name of [...HOP_BY_HOP, 'x-node-hop']) {
    if (name !== 'transfer-encoding') expect(res.headers[name], name).toBeUndefined();
  }
  expect(res.headers['x-kept']).toBe('1');
});
