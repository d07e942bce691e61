import { expect, it } from 'vitest';
import { rosterOf, useCluster } from './support/cluster';
import { httpGet } from './support/raw-client';
import { startRouter } from './support/router';

const cluster = useCluster(['CB_Server_1']);

interface Echo {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  bytes: number;
}

const rawGet = (path: string, headers: Record<string, string>) =>
  httpGet(new URL(path, cluster.router.url).href, headers);

it('sets X-Forwarded-* from what the edge saw and ignores the client claims', async () => {
  const res = await rawGet('/cobrowse/echo?a=1&b=2', {
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-host': 'evil.example.com',
    'x-forwarded-proto': 'gopher',
    forwarded: 'for=6.6.6.6',
    'x-custom': 'kept',
  });
  const echo = JSON.parse(res.body) as Echo;
  expect(echo.search).toBe('?a=1&b=2');
  expect(echo.headers).toMatchObject({
    'x-forwarded-for': '127.0.0.1',
    'x-forwarded-host': new URL(cluster.router.url).host,
    'x-forwarded-proto': 'http',
    'x-custom': 'kept',
  });
  expect(echo.headers.forwarded).toBeUndefined();
  expect(echo.headers.host).toBe(`127.0.0.1:${cluster.nodes[0]?.port}`);
});

it("sends the node the request's id as X-Request-Id with REQUEST_ID_TO_NODES on, never the client's", async () => {
  const router = await startRouter({ NODES: rosterOf(cluster.nodes), REQUEST_ID_TO_NODES: true });
  try {
    for (const forged of [{ 'x-request-id': 'forged' }, { X_Request_Id: 'forged' }, {}]) {
      const res = await httpGet(new URL('/cobrowse/echo', router.url).href, forged);
      const id = res.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const echo = JSON.parse(res.body) as Echo;
      expect(echo.headers['x-request-id']).toBe(id);
      expect(echo.headers.x_request_id).toBeUndefined();
    }
  } finally {
    await router.stop();
  }
});

// Hop-by-hop fields in both directions: hop-by-hop.test.ts, through the Worker as deployed.

it("survives a node's malformed Connection header, still dropping the fields it names", async () => {
  const query = new URLSearchParams({
    connection: '(, x-node-hop, :',
    'x-node-hop': 'secret',
    'x-kept': '1',
  });
  const res = await fetch(`${cluster.router.url}/cobrowse/headers?${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('x-node-hop')).toBeNull();
  expect(res.headers.get('x-kept')).toBe('1');
});

it('passes every Set-Cookie of the node unchanged', async () => {
  const res = await fetch(`${cluster.router.url}/cobrowse/cookies`);
  expect(res.headers.getSetCookie()).toEqual([
    'gcbSessionServer=.CB_Server_1; Path=/; HttpOnly',
    'first=1; Path=/; Max-Age=60',
    'second=2, with comma; Path=/cobrowse; Secure',
  ]);
});

it('returns redirects to the client, pointing at the edge instead of the node', async () => {
  const res = await fetch(`${cluster.router.url}/cobrowse/redirect?to=/cobrowse/next`, {
    redirect: 'manual',
  });
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe(`${cluster.router.url}/cobrowse/next`);
  expect(res.headers.get('x-cobrowse-node')).toBe('CB_Server_1');
});

it('passes the method, path, query and body through', async () => {
  const res = await fetch(`${cluster.router.url}/cobrowse/echo/deep/path?x=%2F&y=`, {
    method: 'PUT',
    body: 'hello',
  });
  expect(await res.json()).toMatchObject({
    method: 'PUT',
    path: '/cobrowse/echo/deep/path',
    search: '?x=%2F&y=',
    bytes: 5,
  });
});

it('answers 404 JSON outside the proxied prefix, without contacting a node', async () => {
  const before = cluster.router.logs.length;
  for (const path of [
    '/',
    '/cobrowsex',
    '/other/cobrowse',
    '/cobrowse/../admin',
    '/cobrowse/%2e%2e/admin',
    '/cobrowse/..',
  ]) {
    const res = await rawGet(path, {});
    expect(res.status, path).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'not_found' });
  }
  expect(cluster.router.logs.slice(before).filter((line) => line.msg === 'request')).toEqual([]);
});
