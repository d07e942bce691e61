/**
 * The vendor guide's private topology: every node is reached only through a Workers VPC binding
 * (`via`), here a local stand-in for the tunnel (private-network.ts), and the router's own fetch()
 * reaches only a recording listener that must stay silent. Everything a Co-browse session sends
 * passes through the binding, the health checks too, and a node behind it that is killed or frozen
 * fails over exactly as one reached by fetch() does (the same scenarios as follows-health.test.ts).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, useCluster } from './support/cluster';
import {
  DOCUMENTED,
  expectToldOnReconnect,
  FAST,
  frozenNodeEndsEverything,
  killedNodeLosesNoNewSession,
  openSessionSocket,
} from './support/failover-scenarios';
import { BINDING, type PrivateRouter, startPrivateRouter } from './support/private-network';
import { startSession } from './support/traffic';

const IDS = ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'];
const ADMIN_TOKEN = 'private-network-token-0123456789abcd';
const TEN_MB = 10 * 1024 * 1024;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** After every test: not one request of the router went around the binding. */
function expectNothingAroundTheBinding(cluster: Cluster<PrivateRouter>): void {
  afterEach(() => {
    expect(cluster.router.plainFetches).toEqual([]);
  });
}

describe('a cluster on a private network, every node reached through the VPC binding', () => {
  const cluster = useCluster(IDS, { ...FAST, ADMIN_TOKEN }, { start: startPrivateRouter });
  expectNothingAroundTheBinding(cluster);

  it('health checks go through the binding: every node up, with its latency, shown as reached via it', async () => {
    await expect
      .poll(
        async () => {
          const res = await fetch(`${cluster.router.url}/__lb/status`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          const { nodes } = (await res.json()) as {
            nodes: { id: string; up: boolean; via: string; latencyMs: number | null }[];
          };
          return nodes.map(({ id, up, via, latencyMs }) => ({ id, up, via, measured: latencyMs !== null }));
        },
        { timeout: 5000 },
      )
      .toEqual(IDS.map((id) => ({ id, up: true, via: BINDING, measured: true })));
  });

  it('carries a session: its start, a long-poll held by the node, and a stream chunk by chunk', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_2');
    const headers = { cookie: session.cookie };
    const started = Date.now();
    const poll = await fetch(`${cluster.router.url}/cobrowse/poll?session=${session.session}&wait=1500`, {
      headers,
    });
    expect(poll.status).toBe(200);
    expect(await poll.json()).toMatchObject({ node: 'CB_Server_2', session: session.session });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);

    const stream = await fetch(`${cluster.router.url}/cobrowse/stream?chunks=5&interval=200`, { headers });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const arrivals: number[] = [];
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      arrivals.push(Date.now());
    }
    // Chunk by chunk as the node sends them, not all at the end.
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    expect((arrivals.at(-1) as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(600);
  });

  it('carries 10 MB bodies both ways intact: a DOM snapshot up, a blob down', async () => {
    const pinned = { cookie: 'gcbSessionServer=.CB_Server_1' };
    const body = new Uint8Array(TEN_MB).map((_, i) => (i * 7) & 0xff);
    const up = await fetch(`${cluster.router.url}/cobrowse/dom`, { method: 'POST', headers: pinned, body });
    expect(await up.json()).toMatchObject({ node: 'CB_Server_1', bytes: TEN_MB, sha256: sha256(body) });

    const down = await fetch(`${cluster.router.url}/cobrowse/blob?bytes=${TEN_MB}`, { headers: pinned });
    const received = new Uint8Array(await down.arrayBuffer());
    expect(down.headers.get('content-length')).toBe(String(TEN_MB));
    expect(received.length).toBe(TEN_MB);
    expect(sha256(received)).toBe(down.headers.get('x-sha256'));
  });

  it('carries WebSocket traffic: text, and binary byte for byte both ways up to 10 MB', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_3');
    const socket = await openSessionSocket(cluster, session);
    socket.socket.send('through the tunnel');
    expect(JSON.parse(await socket.next())).toEqual({ node: 'CB_Server_3', echo: 'through the tunnel' });
    for (const size of [0, 1, 65_536, TEN_MB]) {
      const payload = Buffer.alloc(size, 0xa5);
      const echoed = new Promise<Buffer>((resolve) =>
        socket.socket.once('message', (data) => resolve(data as Buffer)),
      );
      socket.socket.send(payload, { binary: true });
      const data = await echoed;
      expect([size, sha256(data)]).toEqual([size, sha256(payload)]);
    }
    socket.socket.close(1000, 'done');
    expect(await socket.closed).toEqual({ code: 1000, reason: 'done' });
  });

  it('tells a client the router could not reach its node, when the binding finds nothing there', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_1');
    await cluster.node('CB_Server_1').stop();
    // A pinned request to a node the tunnel cannot reach goes to a serving node, which ends the session.
    const res = await fetch(`${cluster.router.url}/cobrowse/session/${session.session}`, {
      headers: { cookie: session.cookie },
    });
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ reason: 'not-owner' });
    expect(res.headers.get('x-cobrowse-node')).not.toBe('CB_Server_1');
  });
});

describe('a node behind the binding frozen (SIGSTOP), header timeout at its 45 s default', () => {
  describe.each([
    ['the fast settings of the tests', FAST],
    ['the documented defaults', DOCUMENTED],
  ])('health at %s', (_, health) => {
    const cluster = useCluster(IDS, health === FAST ? { ...FAST } : {}, {
      per: 'test',
      start: startPrivateRouter,
    });
    expectNothingAroundTheBinding(cluster);

    it('ends everything open on it within the bound; a healthy long-poll is never cut', async () => {
      await frozenNodeEndsEverything(cluster, health);
    });
  });
});

describe('a node behind the binding killed', () => {
  const cluster = useCluster(IDS, FAST, { per: 'test', start: startPrivateRouter });
  expectNothingAroundTheBinding(cluster);

  it('loses no new session sent while it dies', async () => {
    await killedNodeLosesNoNewSession(cluster, 'CB_Server_3');
  });

  it('has its WebSockets closed and their clients told, once the checks through the binding find it gone', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_2');
    const socket = await openSessionSocket(cluster, session);
    cluster.node('CB_Server_2').process.kill('SIGKILL');
    const closed = await socket.closed;
    // The node's leg drops with it, and the native pipe drops the client's: no close frame (1006).
    expect(closed.code).toBe(1006);
    await expectToldOnReconnect(cluster, session);
  });
});

describe('the listener around the binding can hear', () => {
  // The proof above is only worth something if a node reached by fetch() would be heard: here
  // CB_Server_2 has no `via`, so its checks go out through the Worker's own fetch().
  const cluster = useCluster(
    IDS.slice(0, 2),
    { ...FAST, ADMIN_TOKEN },
    {
      start: (nodes, vars) =>
        startPrivateRouter(nodes, vars, (node) => (node.id === 'CB_Server_2' ? undefined : BINDING)),
    },
  );

  it('records every request sent around the binding; the node it stands for never answers', async () => {
    const node2 = cluster.node('CB_Server_2');
    const nodes = async () => {
      const res = await fetch(`${cluster.router.url}/__lb/status`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const report = (await res.json()) as { nodes: { id: string; up: boolean; via: string | null }[] };
      return report.nodes.map(({ id, up, via }) => ({ id, up, via }));
    };
    await expect.poll(nodes, { timeout: 5000 }).toEqual([
      { id: 'CB_Server_1', up: true, via: BINDING },
      { id: 'CB_Server_2', up: false, via: null },
    ]);
    expect(cluster.router.plainFetches).toContain(`${node2.url}/cobrowse/health`);
    expect(cluster.router.plainFetches.every((url) => url.startsWith(node2.url))).toBe(true);
  });
});
