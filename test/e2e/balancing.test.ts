/**
 * New sessions balanced by load, with real node processes, real WebSockets and several router isolates
 * (the Worker as deployed, one workerd service each, sharing one health board and the socket gates):
 * least sessions keeps new sessions off a loaded node without herding, capacity turns them away from a
 * full node and answers `cluster_full` when every node is full while pinned traffic passes, and slow
 * start gives a node that came back a growing share of new sessions, and slows none of the nodes the
 * board found when it started (the load rule holds from the first second).
 */
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DemoNode, rosterOf, startNodes } from './support/cluster';
import { routersSharingOneBoard } from './support/shared-board';
import { sleep } from './support/traffic';

const ADMIN_TOKEN = 'balancing-token-0123456789abcdef0123';
const IDS = ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'];
const ISOLATES = 3;

let nodes: DemoNode[];
beforeAll(async () => {
  nodes = await startNodes(IDS);
});
afterAll(async () => {
  await Promise.all((nodes ?? []).map((node) => node.stop()));
});

interface NodeView {
  id: string;
  state: string;
  openSessions: number;
  full: boolean;
  slowStartShare: number;
  lastCheckAt: number | null;
}

/** A location of ISOLATES routers in front of `nodes`, with `vars` added to their config. */
function useLocation(vars: () => Record<string, unknown>) {
  const location = { mf: undefined as unknown as Miniflare, url: '', startedAt: 0 };
  beforeAll(async () => {
    location.startedAt = Date.now();
    location.mf = routersSharingOneBoard(ISOLATES, {
      ADMIN_TOKEN,
      HEALTH_INTERVAL_MS: 1000,
      HEALTH_TIMEOUT_MS: 500,
      ...vars(),
    });
    location.url = (await location.mf.ready).origin;
  });
  afterAll(async () => {
    await location.mf?.dispose();
  });
  return location;
}

async function statusOf(mf: Miniflare): Promise<Record<string, NodeView>> {
  const router = await mf.getWorker('router-0');
  const res = await router.fetch('http://edge.example.com/__lb/status', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const { nodes: views } = (await res.json()) as { nodes: NodeView[] };
  return Object.fromEntries(views.map((view) => [view.id, view]));
}

async function until(ms: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await sleep(100);
  }
}

/** `count` WebSockets pinned to `node` through the first router, open until closed. */
async function openSockets(url: string, node: string, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, () => {
      const socket = new WebSocket(`${url.replace('http', 'ws')}/cobrowse/ws`, {
        headers: { cookie: `gcbSessionServer=.${node}` },
      });
      sockets.push(socket);
      return new Promise<void>((resolve, reject) => {
        socket.once('message', () => resolve());
        socket.once('error', reject);
      });
    });
    await Promise.all(batch);
  }
  return sockets;
}

/**
 * `count` new sessions (an unpinned POST /cobrowse/session, as a Co-browse page's first request),
 * spread over the isolates, 10 at a time; the node that took each, or the error code.
 */
async function newSessions(mf: Miniflare, count: number): Promise<Record<string, number>> {
  const routers = await Promise.all(Array.from({ length: ISOLATES }, (_, i) => mf.getWorker(`router-${i}`)));
  const got: Record<string, number> = {};
  for (let i = 0; i < count; i += 10) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, async (_, j) => {
        const router = routers[(i + j) % ISOLATES] as (typeof routers)[number];
        const res = await router.fetch('http://edge.example.com/cobrowse/session', { method: 'POST' });
        const body = (await res.json()) as { node?: string; error?: string };
        return body.node ?? body.error ?? String(res.status);
      }),
    );
    for (const answer of answers) got[answer] = (got[answer] ?? 0) + 1;
  }
  return got;
}

describe('least sessions, several isolates', () => {
  const location = useLocation(() => ({ NODES: rosterOf(nodes), SLOW_START_S: 0 }));

  it('keeps new sessions off a node holding 150 WebSockets while two hold none', async () => {
    const sockets = await openSockets(location.url, 'CB_Server_1', 150);
    try {
      await until(15_000, async () => (await statusOf(location.mf)).CB_Server_1?.openSessions === 150);
      // Every isolate reads the board's counts within a second.
      await sleep(1500);
      const got = await newSessions(location.mf, 90);
      console.log(`90 new sessions with CB_Server_1 holding 150 sockets: ${JSON.stringify(got)}`);
      expect(got.CB_Server_1 ?? 0).toBeLessThanOrEqual(9);
      expect((got.CB_Server_2 ?? 0) + (got.CB_Server_3 ?? 0)).toBe(90 - (got.CB_Server_1 ?? 0));
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  });

  it('after sockets opened and closed on the nodes, spreads 90 new sessions evenly (0.6-1.4x of fair)', async () => {
    // Closed sockets are not sessions: their ends are reported (the gates' tail consumer), so they
    // leave no weight on their nodes (before, a gate counted each for an hour).
    for (const [node, count] of [
      ['CB_Server_1', 100],
      ['CB_Server_2', 50],
    ] as const) {
      const sockets = await openSockets(location.url, node, count);
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              socket.once('close', () => resolve());
              socket.close(1000);
            }),
        ),
      );
    }
    await until(15_000, async () =>
      Object.values(await statusOf(location.mf)).every((view) => view.openSessions === 0),
    );
    // Every isolate reads the board's counts within a second.
    await sleep(1500);
    const got = await newSessions(location.mf, 90);
    console.log(`90 new sessions after 150 sockets opened and closed: ${JSON.stringify(got)}`);
    for (const id of IDS) {
      expect(got[id] ?? 0, id).toBeGreaterThanOrEqual(18);
      expect(got[id] ?? 0, id).toBeLessThanOrEqual(42);
    }
  });
});

describe('least sessions right after the router starts, slow start on', () => {
  const SLOW_START_S = 60;
  const location = useLocation(() => ({ NODES: rosterOf(nodes), SLOW_START_S }));

  it('finds every node at its whole weight, and keeps new sessions off a node holding 150 WebSockets', async () => {
    // The board's first round: every node found up at the board's start, none slow-starting.
    await until(10_000, async () =>
      Object.values(await statusOf(location.mf)).every((view) => view.lastCheckAt !== null),
    );
    const first = await statusOf(location.mf);
    expect(Object.values(first).map((view) => [view.id, view.state, view.slowStartShare])).toEqual(
      IDS.map((id) => [id, 'up', 1]),
    );
    const sockets = await openSockets(location.url, 'CB_Server_1', 150);
    try {
      await until(15_000, async () => (await statusOf(location.mf)).CB_Server_1?.openSessions === 150);
      await sleep(1500);
      const got = await newSessions(location.mf, 90);
      const elapsed = Date.now() - location.startedAt;
      console.log(
        `90 new sessions ${Math.round(elapsed / 1000)} s after the router started, CB_Server_1 holding 150 sockets: ${JSON.stringify(got)}`,
      );
      // Within the first SLOW_START_S: a slow start of every node would still be on.
      expect(elapsed).toBeLessThan(SLOW_START_S * 1000);
      expect(got.CB_Server_1 ?? 0).toBeLessThanOrEqual(9);
      expect((got.CB_Server_2 ?? 0) + (got.CB_Server_3 ?? 0)).toBe(90 - (got.CB_Server_1 ?? 0));
      expect(Object.values(await statusOf(location.mf)).every((view) => view.slowStartShare === 1)).toBe(
        true,
      );
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  });
});

describe('least sessions at equal load, several isolates', () => {
  const location = useLocation(() => ({ NODES: rosterOf(nodes), SLOW_START_S: 0 }));

  it('spreads new sessions within 0.8-1.25x of fair', async () => {
    const sockets = (await Promise.all(IDS.map((id) => openSockets(location.url, id, 20)))).flat();
    try {
      await until(15_000, async () =>
        Object.values(await statusOf(location.mf)).every((view) => view.openSessions === 20),
      );
      await sleep(1500);
      const SESSIONS = 600;
      const got = await newSessions(location.mf, SESSIONS);
      console.log(`${SESSIONS} new sessions at equal load: ${JSON.stringify(got)}`);
      for (const id of IDS) {
        expect((got[id] ?? 0) / (SESSIONS / IDS.length), id).toBeGreaterThanOrEqual(0.8);
        expect((got[id] ?? 0) / (SESSIONS / IDS.length), id).toBeLessThanOrEqual(1.25);
      }
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  });
});

describe('capacity', () => {
  const location = useLocation(() => ({
    NODES: rosterOf(nodes).map((node) => ({ ...node, maxSessions: 10 })),
    SLOW_START_S: 0,
  }));

  it('sends new sessions away from a full node, answers cluster_full when all are, and lets pinned traffic pass', async () => {
    const full = await openSockets(location.url, 'CB_Server_1', 10);
    const rest: WebSocket[] = [];
    try {
      await until(15_000, async () => (await statusOf(location.mf)).CB_Server_1?.full === true);
      await sleep(1500);
      const got = await newSessions(location.mf, 30);
      expect(got.CB_Server_1 ?? 0).toBe(0);
      expect((got.CB_Server_2 ?? 0) + (got.CB_Server_3 ?? 0)).toBe(30);

      rest.push(...(await openSockets(location.url, 'CB_Server_2', 10)));
      rest.push(...(await openSockets(location.url, 'CB_Server_3', 10)));
      await until(15_000, async () => Object.values(await statusOf(location.mf)).every((view) => view.full));
      await sleep(1500);
      const router = await location.mf.getWorker('router-1');
      const refused = await router.fetch('http://edge.example.com/cobrowse/session', { method: 'POST' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ error: 'cluster_full' });
      // Pinned traffic of a full node passes: its sessions' requests and sockets.
      const pinned = await router.fetch('http://edge.example.com/cobrowse/echo', {
        headers: { cookie: 'gcbSessionServer=.CB_Server_1' },
      });
      expect(pinned.status).toBe(200);
      const [eleventh] = await openSockets(location.url, 'CB_Server_1', 1);
      rest.push(eleventh as WebSocket);
      // Full shows on the metrics.
      const metrics = await (
        await router.fetch('http://edge.example.com/__lb/metrics', {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).text();
      expect(metrics).toContain('cobrowse_edge_node_full{node="CB_Server_1"} 1');
      expect(metrics).toContain('cobrowse_edge_node_max_sessions{node="CB_Server_1"} 10');
    } finally {
      for (const socket of [...full, ...rest]) socket.terminate();
    }
  });
});

describe('slow start', () => {
  const WINDOW_S = 30;
  const location = useLocation(() => ({ NODES: rosterOf(nodes), SLOW_START_S: WINDOW_S }));

  it('gives a node that came back a share of new sessions that grows over SLOW_START_S', async () => {
    const node = nodes.find((each) => each.id === 'CB_Server_3') as DemoNode;
    // The nodes found at the board's start take their whole weight at once: no slow start to wait out.
    await until(10_000, async () =>
      Object.values(await statusOf(location.mf)).every(
        (view) => view.lastCheckAt !== null && view.slowStartShare === 1,
      ),
    );
    node.process.kill('SIGSTOP');
    try {
      await until(10_000, async () => (await statusOf(location.mf)).CB_Server_3?.state === 'down');
    } finally {
      node.process.kill('SIGCONT');
    }
    await until(10_000, async () => (await statusOf(location.mf)).CB_Server_3?.state === 'up');
    const shares: number[] = [];
    for (let window = 0; window < 3; window++) {
      const started = Date.now();
      const got = await newSessions(location.mf, 150);
      shares.push((got.CB_Server_3 ?? 0) / 50);
      await sleep(Math.max(0, 10_000 - (Date.now() - started)));
    }
    const after = await newSessions(location.mf, 150);
    shares.push((after.CB_Server_3 ?? 0) / 50);
    console.log(`CB_Server_3's share of its fair part, 10 s apart after it came back: ${shares.join(', ')}`);
    // Low at first, growing, and whole once the window is over.
    expect(shares[0]).toBeLessThan(0.5);
    expect(shares[3]).toBeGreaterThan(0.7);
    expect(shares[3]).toBeGreaterThan(shares[0] as number);
  }, 120_000);
});
