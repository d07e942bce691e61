import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket } from './support/clients';
import { useCluster } from './support/cluster';
import { sendRaw } from './support/raw-client';
import { type SilentListener, startSilentListener } from './support/silent-listener';

// Every request's line (the default logs failures and a sample of the rest).
const cluster = useCluster(['CB_Server_1', 'CB_Server_2', 'CB_Server_3'], { LOG_REQUESTS: 'all' });
let outsider: SilentListener;
beforeAll(async () => {
  outsider = await startSilentListener();
});
afterAll(() => outsider?.close());

async function servedBy(path: string, init: RequestInit = {}): Promise<string | null> {
  const res = await fetch(cluster.router.url + path, init);
  await res.arrayBuffer();
  expect(res.headers.get('x-cobrowse-node')).toBe(res.headers.get('x-demo-node'));
  return res.headers.get('x-demo-node');
}

describe('HTTP stickiness', () => {
  it.each(['CB_Server_1', 'CB_Server_2', 'CB_Server_3'])(
    'a cookie naming %s sends every request there',
    async (id) => {
      const seen = new Set<string | null>();
      for (let i = 0; i < 10; i++) {
        seen.add(
          await servedBy('/cobrowse/echo', { headers: { cookie: `a=1; gcbSessionServer=.${id}; b=2` } }),
        );
      }
      expect([...seen]).toEqual([id]);
    },
  );

  it('the URL parameter pins, and wins over a cookie', async () => {
    const seen = new Set<string | null>();
    for (let i = 0; i < 10; i++) {
      seen.add(
        await servedBy('/cobrowse/echo?co-browse-node-id=CB_Server_3', {
          headers: { cookie: 'gcbSessionServer=.CB_Server_1' },
        }),
      );
    }
    expect([...seen]).toEqual(['CB_Server_3']);
  });

  it('a session started anywhere stays on the node that set the cookie', async () => {
    const start = await fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' });
    const { node, session } = (await start.json()) as { node: string; session: string };
    const cookie = start.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    expect(cookie).toBe(`gcbSessionServer=.${node}`);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${cluster.router.url}/cobrowse/session/${session}`, { headers: { cookie } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ node, session, state: 'active' });
    }
  });

  it('requests without a pin are spread over all nodes', async () => {
    const counts = new Map<string | null, number>();
    for (let i = 0; i < 90; i++) {
      const node = await servedBy('/cobrowse/health');
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['CB_Server_1', 'CB_Server_2', 'CB_Server_3']);
    for (const count of counts.values()) expect(count).toBeGreaterThan(10);
  });

  it('logs one line per request with node and reason', async () => {
    const before = cluster.router.logs.length;
    await servedBy('/cobrowse/echo?co-browse-node-id=CB_Server_2');
    await servedBy('/cobrowse/echo', { headers: { cookie: 'gcbSessionServer=.CB_Server_1' } });
    await servedBy('/cobrowse/echo');
    await expect.poll(() => cluster.router.logs.length).toBe(before + 3);
    const lines = cluster.router.logs.slice(before);
    expect(
      lines.map(({ node, reason, status, method, path }) => ({ node, reason, status, method, path })),
    ).toEqual([
      { node: 'CB_Server_2', reason: 'url', status: 200, method: 'GET', path: '/cobrowse/echo' },
      { node: 'CB_Server_1', reason: 'sticky', status: 200, method: 'GET', path: '/cobrowse/echo' },
      { node: expect.any(String), reason: 'balanced', status: 200, method: 'GET', path: '/cobrowse/echo' },
    ]);
    for (const line of lines) expect(line.durationMs).toEqual(expect.any(Number));
  });
});

describe('WebSocket stickiness', () => {
  it.each(['CB_Server_1', 'CB_Server_2', 'CB_Server_3'])(
    'a cookie naming %s opens the socket there',
    async (id) => {
      const ws = await openSocket(`${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`, {
        cookie: `gcbSessionServer=.${id}`,
      });
      expect(JSON.parse(await ws.next())).toMatchObject({ node: id, state: 'connected' });
      ws.socket.close();
    },
  );

  it('the URL parameter pins a socket', async () => {
    const ws = await openSocket(
      `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws?co-browse-node-id=CB_Server_2`,
    );
    expect(JSON.parse(await ws.next())).toMatchObject({ node: 'CB_Server_2' });
    ws.socket.close();
  });

  it("a socket for another node's session gets that node's termination answer", async () => {
    const start = await fetch(`${cluster.router.url}/cobrowse/session`, {
      method: 'POST',
      headers: { cookie: 'gcbSessionServer=.CB_Server_1' },
    });
    const { session } = (await start.json()) as { session: string };
    const ws = await openSocket(
      `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws?session=${session}`,
      {
        cookie: 'gcbSessionServer=.CB_Server_2',
      },
    );
    expect(JSON.parse(await ws.next())).toMatchObject({
      node: 'CB_Server_2',
      state: 'terminated',
      reason: 'not-owner',
    });
    expect(await ws.closed).toEqual({ code: 4410, reason: 'session not owned by this node' });
  });
});

describe('hostile pins', () => {
  const hostile = () => [
    `.127.0.0.1:${outsider.port}`,
    `127.0.0.1:${outsider.port}`,
    `.http://127.0.0.1:${outsider.port}/`,
    `.localhost:${outsider.port}`,
    '.CB_Server_1:8080',
    '.cb_server_1',
    '.CB_Server_1/../x',
    '.__proto__',
    '',
    '.',
    `.${'x'.repeat(4000)}`,
  ];

  it('unknown, malformed or hostile cookies and parameters are "no pin": balanced, never an error', async () => {
    const before = cluster.router.logs.length;
    for (const value of hostile()) {
      const cookieRes = await fetch(`${cluster.router.url}/cobrowse/echo`, {
        headers: { cookie: `gcbSessionServer=${value}` },
      });
      expect(cookieRes.status).toBe(200);
      await cookieRes.arrayBuffer();
      const paramRes = await fetch(
        `${cluster.router.url}/cobrowse/echo?co-browse-node-id=${encodeURIComponent(value)}`,
      );
      expect(paramRes.status).toBe(200);
      await paramRes.arrayBuffer();
    }
    const conflicting = await fetch(`${cluster.router.url}/cobrowse/echo`, {
      headers: { cookie: 'gcbSessionServer=.CB_Server_1; gcbSessionServer=.CB_Server_2' },
    });
    expect(conflicting.status).toBe(200);
    await conflicting.arrayBuffer();
    await expect.poll(() => cluster.router.logs.length).toBe(before + hostile().length * 2 + 1);
    const reasons = new Set(cluster.router.logs.slice(before).map((line) => line.reason));
    expect([...reasons]).toEqual(['balanced']);
  });

  it('no client input makes the router contact a host outside the roster', async () => {
    const target = `127.0.0.1:${outsider.port}`;
    const attempts: [string, RequestInit][] = [
      ...hostile().map((value): [string, RequestInit] => [
        '/cobrowse/echo',
        { headers: { cookie: `gcbSessionServer=${value}` } },
      ]),
      [`/cobrowse/echo?co-browse-node-id=${encodeURIComponent(`http://${target}/`)}`, {}],
      ['/cobrowse/echo', { headers: { 'x-forwarded-host': target, forwarded: `host=${target}` } }],
      [`/cobrowse/redirect?to=${encodeURIComponent(`//${target}/`)}`, { redirect: 'manual' }],
    ];
    for (const [path, init] of attempts) await (await fetch(cluster.router.url + path, init)).arrayBuffer();
    await openSocket(`${cluster.router.url.replace('http', 'ws')}/cobrowse/ws?co-browse-node-id=${target}`, {
      cookie: `gcbSessionServer=.${target}`,
    }).then((ws) => ws.socket.close());
    // Absolute-form request targets name a host too; the router must ignore it.
    const port = Number(new URL(cluster.router.url).port);
    for (const absolute of [
      `http://${target}/cobrowse/echo`,
      `http://${target}/cobrowse/echo?co-browse-node-id=${target}`,
    ]) {
      const answer = await sendRaw(port, `GET ${absolute} HTTP/1.1\r\nHost: cobrowse.example.com\r\n\r\n`);
      expect(answer.status).toBe(200);
    }
    expect(outsider.connections()).toBe(0);
  });
});
