/**
 * Failover follows health, not timers: whatever is open on a node (a request waiting for headers, a
 * streamed body, a WebSocket) ends as soon as the router learns the node is down or disabled, with the
 * header timeout at its documented default (45 s, above the long-poll hold). Real node processes are
 * frozen, killed, made unhealthy and disabled under open work.
 */
import { describe, expect, it } from 'vitest';
import { HAND_OVER_MS } from '../../src/wire/hand-over';
import { openSocket } from './support/clients';
import { useCluster } from './support/cluster';
import {
  BOUND_MS,
  DOCUMENTED,
  expectToldOnReconnect,
  FAST,
  freeze,
  frozenNodeEndsEverything,
  killedNodeLosesNoNewSession,
  openSessionSocket,
  SLACK_MS,
  timed,
  wsUrl,
} from './support/failover-scenarios';
import { type Session, sleep, startSession } from './support/traffic';

const ADMIN_TOKEN = 'follows-health-token-0123456789abcde';
const IDS = ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'];

describe.each([
  ['the fast settings of the tests', FAST],
  ['the documented defaults', DOCUMENTED],
])('a frozen node (SIGSTOP), health at %s, header timeout at its 45 s default', (_, health) => {
  // Only the fast settings are given as vars: the defaults are the router's own.
  const cluster = useCluster(IDS, health === FAST ? { ...FAST } : {}, { per: 'test' });

  it('ends everything open on it within the bound, in a quiet isolate; a healthy long-poll is never cut', async () => {
    await frozenNodeEndsEverything(cluster, health);
  });
});

describe('every node frozen, health at the fast settings', () => {
  const cluster = useCluster(IDS, FAST, { per: 'test' });

  it('every node frozen: each open request and handshake gets its answer within the bound, and new ones a 503 at once', async () => {
    const sessions = await Promise.all(IDS.map((id) => startSession(cluster.router.url, id)));
    const pending = sessions.map((session) =>
      timed(
        fetch(`${cluster.router.url}/cobrowse/poll?session=${session.session}&wait=30000`, {
          headers: { cookie: session.cookie },
        }),
      ),
    );
    await sleep(300);
    const frozenAt = Math.min(...IDS.map((id) => freeze(cluster, id)));
    // Sent after the freeze, before detection: they reach frozen nodes and wait there.
    const post = timed(fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' }));
    const handshake = openSocket(wsUrl(cluster, sessions[0] as Session), {
      cookie: (sessions[0] as Session).cookie,
    }).then(
      () => ({ at: Date.now(), error: '' }),
      (error: Error) => ({ at: Date.now(), error: error.message }),
    );
    const answers = await Promise.all([...pending, post]);
    const refused = await handshake;
    const slowest = Math.max(...answers.map((answer) => answer.at), refused.at) - frozenAt;
    console.log(`every node frozen: the last open request answered ${slowest} ms after the freeze`);
    for (const answer of answers.slice(0, IDS.length)) {
      expect(answer).toMatchObject({ status: 503, body: { error: 'no_node_available' } });
    }
    // The POST's node is alive (frozen, not dead): no second send anywhere; its own error.
    expect([502, 503]).toContain(answers.at(-1)?.status);
    expect(refused.error).toBe('handshake answered 503');
    expect(slowest).toBeLessThan(BOUND_MS + FAST.HEALTH_TIMEOUT_MS + SLACK_MS);

    const started = Date.now();
    const res = await fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('a node killed under a steady stream of new sessions', () => {
  const cluster = useCluster(IDS, FAST, { per: 'test' });

  it('loses none of them: a new session sent to the dead node goes to another once it refuses', async () => {
    await killedNodeLosesNoNewSession(cluster, 'CB_Server_3');
  });
});

describe('a node an operator disables', () => {
  const cluster = useCluster(IDS, { ...FAST, ADMIN_TOKEN }, { per: 'test' });

  it('gets nothing, WebSockets included: its open sockets are closed at once and their clients told', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_2');
    const socket = await openSessionSocket(cluster, session);
    const other = await openSessionSocket(cluster, await startSession(cluster.router.url, 'CB_Server_1'));
    const disabledAt = Date.now();
    const res = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_2/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const closed = await socket.closed;
    console.log(`disabled node: its WebSocket closed ${Date.now() - disabledAt} ms after the action`);
    expect(closed.code).toBe(1006);
    expect(Date.now() - disabledAt).toBeLessThan(1000);
    await expectToldOnReconnect(cluster, session);
    other.socket.send('still here');
    expect(JSON.parse(await other.next())).toMatchObject({ node: 'CB_Server_1', echo: 'still here' });
  });
});

describe('a node whose health check answers 503 while it still serves', () => {
  const cluster = useCluster(IDS, FAST, { per: 'test' });

  it('by default (ON_MARKED_DOWN=shutdown-sessions) has its open WebSockets closed once marked down', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_3');
    const socket = await openSessionSocket(cluster, session);
    const sickAt = Date.now();
    await fetch(`${cluster.node('CB_Server_3').url}/cobrowse/control?status=503`, { method: 'POST' });
    expect((await socket.closed).code).toBe(1006);
    expect(Date.now() - sickAt).toBeLessThan(BOUND_MS + SLACK_MS);
    await expectToldOnReconnect(cluster, session);
  });
});

describe('the health copy while work is open', () => {
  // Checks once a minute: every board call in this test is the router's own reading of health.
  const cluster = useCluster(IDS, { HEALTH_INTERVAL_MS: 60_000, ADMIN_TOKEN }, { per: 'test' });
  /** The board's call count (this read is itself one call). */
  const boardCalls = async () => {
    const res = await fetch(`${cluster.router.url}/__lb/status`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    return ((await res.json()) as { healthBoardCalls: number }).healthBoardCalls;
  };

  it('is refreshed about once a second however many requests wait, and not at all when nothing is open', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_1');
    const HELD_MS = 5000;
    const WAITING = 20;
    const before = await boardCalls();
    await Promise.all(
      Array.from({ length: WAITING }, () =>
        fetch(`${cluster.router.url}/cobrowse/poll?session=${session.session}&wait=${HELD_MS}`, {
          headers: { cookie: session.cookie },
        }).then((res) => res.json()),
      ),
    );
    const whileOpen = (await boardCalls()) - before - 1;
    // The requests' traffic counts are handed over once, within HAND_OVER_MS; after that, nothing.
    await sleep(HAND_OVER_MS + 500);
    const quiet = await boardCalls();
    await sleep(3000);
    const idle = (await boardCalls()) - quiet - 1;
    console.log(
      `health copy: ${whileOpen} board calls while ${WAITING} requests waited ${HELD_MS} ms, ${idle} in 3 s with nothing open`,
    );
    expect(whileOpen).toBeGreaterThanOrEqual(HELD_MS / 1000 - 1);
    expect(whileOpen).toBeLessThanOrEqual(HELD_MS / 1000 + 2);
    expect(idle).toBe(0);
  });
});

describe('a node whose health check answers 503, with ON_MARKED_DOWN=drain', () => {
  const cluster = useCluster(IDS, { ...FAST, ON_MARKED_DOWN: 'drain' }, { per: 'test' });

  it('keeps its sessions, sockets and HTTP alike, and gets no new ones', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_3');
    const socket = await openSessionSocket(cluster, session);
    const sickAt = Date.now();
    await fetch(`${cluster.node('CB_Server_3').url}/cobrowse/control?status=503`, { method: 'POST' });
    await expect
      .poll(
        () =>
          cluster.router.logs.some(
            (line) => line.msg === 'health' && line.to === 'down' && Number(line.at) >= sickAt,
          ),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
    await sleep(1500);
    socket.socket.send('still served');
    expect(JSON.parse(await socket.next())).toMatchObject({ node: 'CB_Server_3', echo: 'still served' });
    const res = await fetch(`${cluster.router.url}/cobrowse/session/${session.session}`, {
      headers: { cookie: session.cookie },
    });
    expect(await res.json()).toMatchObject({ node: 'CB_Server_3', state: 'active' });
    for (let i = 0; i < 20; i++) {
      const fresh = await fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' });
      expect(((await fresh.json()) as { node: string }).node).not.toBe('CB_Server_3');
    }
    socket.socket.close(1000);
  });
});
