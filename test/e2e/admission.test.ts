/**
 * What the router refuses before any node, over the wire, against the Worker as deployed (its bundle in
 * raw Miniflare): every path a Jetty node could resolve differently from the router gets a 400, a head
 * larger than a Jetty node accepts a 414 or 431, and no node receives any of them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployment, routerWorker, startMiniflare } from '../../scripts/bench/targets.mjs';
import { type DemoNode, startNodes } from './support/cluster';
import { sendRaw } from './support/raw-client';

let nodes: DemoNode[];
let router: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1']);
  router = await startMiniflare(deployment(routerWorker(nodes, { MAX_BODY_BYTES: 1_000_000 })));
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

/** Jetty 9's default requestHeaderSize, which the router keeps (MAX_HEADER_BYTES). */
const NODE_HEAD_BYTES = 8192;

it('answers 414 for a path and query a node would not accept, 431 for too large a head; the node sees neither', async () => {
  const port = Number(new URL(router.url).port);
  const longPath = `/cobrowse/${'a'.repeat(NODE_HEAD_BYTES)}`;
  const tooLong = await sendRaw(port, `GET ${longPath} HTTP/1.1\r\nHost: e\r\n\r\n`);
  expect(tooLong.status).toBe(414);
  const bigCookie = `gcbSessionServer=.CB_Server_1; junk=${'b'.repeat(NODE_HEAD_BYTES - 200)}`;
  const tooLarge = await sendRaw(
    port,
    `GET /cobrowse/echo/big-head HTTP/1.1\r\nHost: e\r\nCookie: ${bigCookie}\r\n\r\n`,
  );
  expect(tooLarge.status).toBe(431);
  const seen = await seenByNode();
  expect(seen.filter((path) => path === longPath || path === '/cobrowse/echo/big-head')).toEqual([]);
  // Within the budget (the node's 8 KiB less what the router adds), it passes.
  const fits = await sendRaw(
    port,
    `GET /cobrowse/echo/fits HTTP/1.1\r\nHost: e\r\nCookie: junk=${'c'.repeat(6000)}\r\n\r\n`,
  );
  expect(fits.status).toBe(200);
});

it('tells the client 431, not 502, when a node drops a request whose other fields make the head too large', async () => {
  const port = Number(new URL(router.url).port);
  // /reset drops the connection as a node does on a head it will not read.
  const big = await sendRaw(
    port,
    `GET /cobrowse/reset HTTP/1.1\r\nHost: e\r\nX-Big: ${'d'.repeat(NODE_HEAD_BYTES - 300)}\r\n\r\n`,
  );
  expect(big.status).toBe(431);
  // The same drop with a small head is the node's failure: its pinned request gets the 502.
  const small = await sendRaw(
    port,
    'GET /cobrowse/reset HTTP/1.1\r\nHost: e\r\nCookie: gcbSessionServer=.CB_Server_1\r\n\r\n',
  );
  expect(small.status).toBe(502);
});

it('answers 413 for a body over MAX_BODY_BYTES, by its declared length, before the node', async () => {
  const res = await fetch(`${router.url}/cobrowse/dom`, { method: 'POST', body: 'x'.repeat(1_000_001) });
  expect(res.status).toBe(413);
  expect(await res.json()).toMatchObject({ error: 'body_too_large' });
  const fits = await fetch(`${router.url}/cobrowse/dom`, { method: 'POST', body: 'x'.repeat(1_000_000) });
  expect(fits.status).toBe(200);
});
