/**
 * Open sessions are what is open: a node's held WebSockets and its requests waiting for response
 * headers (the long-polls it holds). A response body streaming to a client that does not read it is
 * open work (watched, cut if its node goes) but no session: 40 unread downloads of a large body once
 * counted as 40 sessions, showed two nodes of `maxSessions` 20 full and turned new visitors away with
 * `cluster_full`. Here they leave both nodes at 0 open sessions and new sessions start; as the
 * control, 20 long-polls held by each node do fill them.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HAND_OVER_MS } from '../../src/wire/hand-over';
import { rosterOf, useCluster } from './support/cluster';
import { startRouter } from './support/router';
import { sleep } from './support/traffic';

const ADMIN_TOKEN = 'open-sessions-token-4b7e-0123456789ab';
const IDS = ['CB_Server_1', 'CB_Server_2'];
const MAX_SESSIONS = 20;
/** Per node: as many unread downloads as it has room for sessions. */
const DOWNLOADS = MAX_SESSIONS;
/** Far more than the socket buffers between node, router and client hold: the bodies cannot end. */
const BODY_BYTES = 48 * 2 ** 20;
/** The board hears an isolate's gauges within HAND_OVER_MS; the isolate's routing, about a second later. */
const HEARD_MS = 2 * HAND_OVER_MS + 5000;

interface NodeView {
  id: string;
  openSessions: number;
  full: boolean;
  traffic: { waiting: number; streaming: number; inFlight: number };
}

/** A GET whose client takes the response headers and never reads a byte of the body. */
function unreadDownload(url: string, node: string) {
  // One connection each (no agent): nothing queues behind an unread body.
  const req = httpRequest(url, { agent: false, headers: { cookie: `gcbSessionServer=.${node}` } });
  const headers = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  req.end();
  return { req, headers };
}

describe('open sessions are what is open', () => {
  const cluster = useCluster(
    IDS,
    { ADMIN_TOKEN, HEALTH_INTERVAL_MS: 1000, HEALTH_TIMEOUT_MS: 500, SLOW_START_S: 0 },
    {
      start: (nodes, vars) =>
        startRouter({
          NODES: rosterOf(nodes).map((node) => ({ ...node, maxSessions: MAX_SESSIONS })),
          ...vars,
        }),
    },
  );
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const status = async (): Promise<Record<string, NodeView>> => {
    const res = await fetch(`${cluster.router.url}/__lb/status`, { headers: auth });
    const { nodes } = (await res.json()) as { nodes: NodeView[] };
    return Object.fromEntries(nodes.map((node) => [node.id, node]));
  };
  /** What the node itself has open now. */
  const heldAt = async (id: string): Promise<{ polls: number; bulk: number }> => {
    const res = await fetch(`${cluster.node(id).url}/cobrowse/control`);
    return ((await res.json()) as { open: { polls: number; bulk: number } }).open;
  };
  const until = async (ms: number, check: () => Promise<boolean>, what: string) => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
      await sleep(250);
    }
  };
  const newSession = () => fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' });

  it('40 unread downloads of a large body count as no session: no node full, new sessions start', async () => {
    const downloads = IDS.flatMap((id) =>
      Array.from({ length: DOWNLOADS }, (_, i) =>
        // Half stream at once; half first wait 400 ms for their headers (counted as waiting past
        // 250 ms), then stream: they must leave the sessions when their headers arrive.
        unreadDownload(
          `${cluster.router.url}/cobrowse/bulk?bytes=${BODY_BYTES}&after=${i % 2 ? 400 : 0}`,
          id,
        ),
      ),
    );
    try {
      const responses = await Promise.all(downloads.map(({ headers }) => headers));
      expect(responses.map((res) => res.statusCode)).toEqual(downloads.map(() => 200));
      // The board sees every body flowing (not a report that never came), and no session for them.
      await until(
        HEARD_MS,
        async () => Object.values(await status()).every((node) => node.traffic.streaming === DOWNLOADS),
        `${DOWNLOADS} streaming on each node`,
      );
      // Over a whole hand-over period the figures hold, and the nodes still hold every body open.
      const seen: NodeView[] = [];
      for (let i = 0; i < 6; i++) {
        seen.push(...Object.values(await status()));
        await sleep(HAND_OVER_MS / 5);
      }
      console.log(
        `40 unread downloads: openSessions per sample ${seen.map((node) => node.openSessions).join(',')}`,
      );
      for (const node of seen) {
        expect(node).toMatchObject({
          openSessions: 0,
          full: false,
          traffic: { waiting: 0, streaming: DOWNLOADS, inFlight: DOWNLOADS },
        });
      }
      for (const id of IDS) expect((await heldAt(id)).bulk).toBe(DOWNLOADS);
      const metrics = await (await fetch(`${cluster.router.url}/__lb/metrics`, { headers: auth })).text();
      for (const id of IDS) {
        expect(metrics).toContain(`cobrowse_edge_node_open_sessions{node="${id}"} 0`);
        expect(metrics).toContain(`cobrowse_edge_node_full{node="${id}"} 0`);
        expect(metrics).toContain(`cobrowse_edge_responses_streaming{node="${id}"} ${DOWNLOADS}`);
      }
      // New visitors get their sessions, spread over both nodes.
      const started = await Promise.all(Array.from({ length: 10 }, newSession));
      expect(started.map((res) => res.status)).toEqual(started.map(() => 201));
      const on = await Promise.all(started.map(async (res) => ((await res.json()) as { node: string }).node));
      expect(new Set(on)).toEqual(new Set(IDS));
    } finally {
      for (const { req } of downloads) req.destroy();
    }
    // The clients left: the nodes stop sending, and the board's streaming figure follows.
    await until(
      10_000,
      async () => (await Promise.all(IDS.map(heldAt))).every((held) => held.bulk === 0),
      'the nodes end the abandoned bodies',
    );
    await until(
      HEARD_MS,
      async () => Object.values(await status()).every((node) => node.traffic.inFlight === 0),
      'nothing in flight',
    );
  }, 90_000);

  it('the control: long-polls held by the nodes are sessions, and fill them', async () => {
    const HOLD_MS = HEARD_MS + 5000;
    const polls = IDS.flatMap((id) =>
      Array.from({ length: MAX_SESSIONS }, () =>
        fetch(`${cluster.router.url}/cobrowse/poll?wait=${HOLD_MS}`, {
          headers: { cookie: `gcbSessionServer=.${id}` },
        }),
      ),
    );
    try {
      await until(
        5000,
        async () => (await Promise.all(IDS.map(heldAt))).every((held) => held.polls === MAX_SESSIONS),
        'the nodes hold the polls',
      );
      await until(
        HEARD_MS,
        async () => Object.values(await status()).every((node) => node.full),
        'both nodes full',
      );
      for (const node of Object.values(await status())) {
        expect(node).toMatchObject({
          openSessions: MAX_SESSIONS,
          full: true,
          traffic: { waiting: MAX_SESSIONS, streaming: 0 },
        });
      }
      // The isolate's routing reads the board's count within about a second.
      let refused: Response | undefined;
      await until(
        5000,
        async () => {
          refused = await newSession();
          return refused.status === 503;
        },
        'cluster_full',
      );
      expect(await refused?.json()).toMatchObject({ error: 'cluster_full' });
    } finally {
      const answered = await Promise.all(polls);
      expect(answered.map((res) => res.status)).toEqual(polls.map(() => 200));
    }
  }, 90_000);
});
