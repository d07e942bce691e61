/**
 * The path policy over the wire, against the Worker as deployed (its bundle in raw Miniflare): every
 * path a Jetty node could resolve differently from the router gets a 400 from the router, and no node
 * receives it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { routerWorker, startMiniflare } from '../../scripts/bench/targets.mjs';
import { type DemoNode, startNodes } from './cluster';
import { sendRaw } from './raw-client';

let nodes: DemoNode[];
let router: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1']);
  router = await startMiniflare(routerWorker(nodes));
}, 60_000);
afterAll(async () => {
  await router?.stop();
  await Promise.all((nodes ?? []).map((node) => node.stop()));
});

/** Every path the node has received. */
async function seenByNode(): Promise<string[]> {
  const res = await fetch(`${nodes[0]?.url}/cobrowse/control`);
  return ((await res.json()) as { seenPaths: string[] }).seenPaths;
}

const REFUSED = [
  '/cobrowse/..%2finternal/secret.txt',
  '/cobrowse/%2e%2e%2f%2e%2e%2fetc/passwd',
  '/cobrowse/..%5Cinternal',
  '/cobrowse/..;/internal/secret.txt',
  '/cobrowse/%2e%2e;/internal/secret.txt',
  '/cobrowse/.%2E;jsessionid=x/x',
  '/cobrowse/%u002e%u002e/internal',
  '/cobrowse/%252e%252e/internal',
  '/cobrowse/a%00b',
  '/cobrowse/100%',
];

it.each(REFUSED)('refuses %s with a 400 JSON before any node sees it', async (path) => {
  const port = Number(new URL(router.url).port);
  const answer = await sendRaw(port, `GET ${path} HTTP/1.1\r\nHost: cobrowse.example.com\r\n\r\n`);
  expect(answer.status).toBe(400);
  expect(answer.head.toLowerCase()).toContain('content-type: application/json');
  expect(await seenByNode()).not.toContain(path);
});

it('forwards a path with repeated slashes merged, the same path it checked', async () => {
  const res = await fetch(`${router.url}/cobrowse//echo///merged`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ path: '/cobrowse/echo/merged' });
});

it('says why in the answer', async () => {
  const res = await fetch(`${router.url}/cobrowse/..%2finternal`);
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({
    error: 'path_refused',
    message: 'the path has an encoded "/" or "\\", which a Co-browse node could read differently',
  });
});
