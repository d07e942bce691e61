/**
 * Operators see the traffic: every request a node gets is counted in the isolate that served it,
 * handed to the health board in the calls it makes anyway, and shown per node in the status JSON, the
 * status page (in Chromium, with the drain countdown) and `/__lb/metrics`, which a real Prometheus
 * scrapes and answers queries about.
 */
import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HAND_OVER_MS } from '../../src/wire/hand-over';
import { chromiumPresent, OUTPUT, useChromium } from './support/chromium';
import { openSocket } from './support/clients';
import { useCluster } from './support/cluster';
import { prometheusPresent, startPrometheus } from './support/prometheus';
import { sleep, startSession } from './support/traffic';

const ADMIN_TOKEN = 'telemetry-token-5d1e-0123456789abcde';
const IDS = ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'];
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** A hand-over within HAND_OVER_MS of the first count, and the board's answer. */
const HANDED_OVER_MS = HAND_OVER_MS + 1000;

/** A node's traffic as the status JSON gives it (src/board/traffic.ts, NodeTraffic). */
interface NodeTraffic {
  totals: {
    requests: Record<string, number>;
    responses: Record<string, number>;
    newSessions: number;
    webSocketsOpened: number;
    webSocketsEnded: number;
  };
  heldWebSockets: number;
  inFlight: number;
  requestsPerSecond: number;
  newSessionsLastMinute: number;
  quietSince: number | null;
}

describe('per-node traffic, counted across the router and read back', () => {
  const cluster = useCluster(IDS, { ADMIN_TOKEN, HEALTH_INTERVAL_MS: 500, HEALTH_TIMEOUT_MS: 300 });
  const trafficOf = async (): Promise<Record<string, NodeTraffic>> => {
    const res = await fetch(`${cluster.router.url}/__lb/status`, { headers: auth });
    const report = (await res.json()) as { nodes: { id: string; traffic: NodeTraffic }[] };
    return Object.fromEntries(report.nodes.map((node) => [node.id, node.traffic]));
  };

  it('counts requests by reason and status class, new sessions, sockets and work in flight, per node', async () => {
    const url = cluster.router.url;
    // CB_Server_1: 4 sessions started there (POST, 201, sets the cookie), then 10 pinned GETs (200).
    const sessions = await Promise.all(Array.from({ length: 4 }, () => startSession(url, 'CB_Server_1')));
    for (let i = 0; i < 10; i++) {
      const session = sessions[i % 4] as (typeof sessions)[number];
      await fetch(`${url}/cobrowse/session/${session.session}`, { headers: { cookie: session.cookie } });
    }
    // CB_Server_2: 5 requests named by URL, 3 of them answered 404 by the node.
    for (let i = 0; i < 5; i++) {
      const path = i < 3 ? '/cobrowse/missing' : '/cobrowse/echo';
      await fetch(`${url}${path}?co-browse-node-id=CB_Server_2`);
    }
    // CB_Server_3: one WebSocket that stays open, and one long-poll held while we look.
    const socket = await openSocket(`${url.replace('http', 'ws')}/cobrowse/ws`, {
      cookie: 'gcbSessionServer=.CB_Server_3',
    });
    const poll = fetch(`${url}/cobrowse/poll?wait=${HANDED_OVER_MS + 3000}`, {
      headers: { cookie: 'gcbSessionServer=.CB_Server_3' },
    });
    await sleep(HANDED_OVER_MS);

    const traffic = await trafficOf();
    expect(traffic.CB_Server_1?.totals).toMatchObject({
      requests: { sticky: 14, url: 0, balanced: 0, 'owner-down': 0, retry: 0 },
      responses: { '2xx': 14, '4xx': 0 },
      newSessions: 4,
    });
    expect(traffic.CB_Server_2?.totals).toMatchObject({
      requests: { url: 5, sticky: 0 },
      responses: { '2xx': 2, '4xx': 3 },
      newSessions: 0,
    });
    const three = traffic.CB_Server_3;
    expect(three?.totals).toMatchObject({ webSocketsOpened: 1, responses: { '1xx': 1 } });
    // The socket gate reported it at once; the long-poll's isolate within its hand-over.
    expect([three?.heldWebSockets, three?.inFlight]).toEqual([1, 1]);
    expect(three?.quietSince).toBeNull();
    expect(traffic.CB_Server_1?.requestsPerSecond).toBeGreaterThan(0);
    expect(traffic.CB_Server_1?.newSessionsLastMinute).toBe(4);

    socket.socket.close(1000);
    await poll;
    await sleep(HANDED_OVER_MS);
    const after = (await trafficOf()).CB_Server_3;
    // The socket's end is reported (the gates' tail consumer): the gate holds nothing, and said so.
    expect([after?.heldWebSockets, after?.inFlight]).toEqual([0, 0]);
    expect(after?.totals.webSocketsEnded).toBe(1);
    // Nothing counted per request reached the board on its own: the board's calls grew by the
    // hand-overs (about one a second), not by the 22 requests.
  });

  it.runIf(prometheusPresent())(
    'serves /__lb/metrics that a real Prometheus scrapes and queries',
    async () => {
      const before = await fetch(`${cluster.router.url}/__lb/metrics`);
      expect(before.status).toBe(401);
      const prometheus = await startPrometheus({ targetUrl: cluster.router.url, bearerToken: ADMIN_TOKEN });
      try {
        await prometheus.waitForTarget();
        const expected = (await trafficOf()).CB_Server_1?.totals.requests.sticky;
        const [sticky] = await prometheus.query(
          'cobrowse_edge_requests_total{node="CB_Server_1",reason="sticky"}',
        );
        expect(sticky?.value).toBe(expected);
        const states = await prometheus.query('cobrowse_edge_node_state == 1');
        expect(states.map((sample) => [sample.metric.node, sample.metric.state]).sort()).toEqual(
          IDS.map((id) => [id, 'up']),
        );
        const up = await prometheus.query('sum(cobrowse_edge_node_up)');
        expect(up[0]?.value).toBe(3);
        const opened = await prometheus.query('cobrowse_edge_websockets_opened_total{node="CB_Server_3"}');
        expect(opened[0]?.value).toBe(1);
      } finally {
        await prometheus.stop();
      }
    },
  );

  describe.runIf(chromiumPresent())('on the status page in Chromium', () => {
    const chromium = useChromium();

    it('shows each node its traffic, and a drained node its countdown until nothing runs on it', async () => {
      const url = cluster.router.url;
      const session = await startSession(url, 'CB_Server_2');
      const socket = await openSocket(`${url.replace('http', 'ws')}/cobrowse/ws?session=${session.session}`, {
        cookie: session.cookie,
      });
      await fetch(`${url}/__lb/nodes/CB_Server_2/drain`, { method: 'POST', headers: auth });
      await sleep(HANDED_OVER_MS);
      mkdirSync(OUTPUT, { recursive: true });
      for (const [name, viewport] of [
        ['desktop', { width: 1280, height: 900 }],
        ['phone', { width: 390, height: 844 }],
      ] as const) {
        const context = await chromium.browser.newContext({
          httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
          viewport,
        });
        const page = await context.newPage();
        await page.goto(`${url}/__lb/`);
        const card = page.locator('section[data-node="CB_Server_2"]');
        expect(await card.locator('[data-drain]').getAttribute('data-drain')).toBe('busy');
        expect(await card.locator('[data-drain]').textContent()).toContain('1 WebSocket held,');
        expect(await card.locator('[data-figure="websockets"]').textContent()).toBe('1 held');
        expect(await page.locator('section[data-node="CB_Server_1"] svg polyline').count()).toBe(3);
        await page.screenshot({ path: `${OUTPUT}/status-traffic-${name}.png`, fullPage: true });
        await context.close();
      }

      socket.socket.close(1000);
      await sleep(HANDED_OVER_MS);
      const context = await chromium.browser.newContext({
        httpCredentials: { username: 'ops', password: ADMIN_TOKEN },
      });
      const page = await context.newPage();
      await page.goto(`${url}/__lb/`);
      const countdown = page.locator('section[data-node="CB_Server_2"] [data-drain]');
      // The session's requests of the last minute still count: quiet only once they are a minute old.
      expect(await countdown.getAttribute('data-drain')).toBe('busy');
      // The closed socket is no longer held: its end was reported (docs/websockets.md).
      expect(await countdown.textContent()).toContain('0 WebSockets held, 0 requests in flight');
      await context.close();
    });
  });
});
