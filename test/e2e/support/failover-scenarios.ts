/**
 * Failover scenarios shared by the suites that reach nodes in different ways (the Worker's own fetch,
 * a Workers VPC binding): each freezes or kills a real node process under open work and asserts what
 * the clients see, and when. The health settings and bounds are the ("Failover follows health").
 */
import { expect } from 'vitest';
import { DEFAULTS } from '../../../src/config/config';
import { openSocket, type RecordedSocket } from './clients';
import type { Cluster } from './cluster';
import { type Session, sleep, startSession } from './traffic';

export type HealthSettings = { HEALTH_INTERVAL_MS: number; HEALTH_TIMEOUT_MS: number; HEALTH_FALL: number };

/** The documented health defaults, which the router uses when given no health vars. */
export const DOCUMENTED: HealthSettings = {
  HEALTH_INTERVAL_MS: DEFAULTS.HEALTH_INTERVAL_MS,
  HEALTH_TIMEOUT_MS: DEFAULTS.HEALTH_TIMEOUT_MS,
  HEALTH_FALL: DEFAULTS.HEALTH_FALL,
};

/** The health settings; CONNECT_TIMEOUT_MS is left at its default everywhere on purpose. */
export const FAST = { HEALTH_INTERVAL_MS: 500, HEALTH_TIMEOUT_MS: 400, HEALTH_FALL: 2, HEALTH_RISE: 2 };
/** Detection (interval x fall + timeout) plus up to a second for an isolate to learn it. */
export const boundOf = (health: HealthSettings) =>
  health.HEALTH_INTERVAL_MS * health.HEALTH_FALL + health.HEALTH_TIMEOUT_MS + 1000;
export const BOUND_MS = boundOf(FAST);
/** Alarm and timer scheduling on two loaded cores. */
export const SLACK_MS = 300;

/** Freezes a node (its stop after the test wakes it first); returns the time. */
export function freeze(cluster: Cluster, id: string): number {
  cluster.node(id).process.kill('SIGSTOP');
  return Date.now();
}

export const wsUrl = (cluster: Cluster, session: Session) =>
  `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws?session=${session.session}`;

export async function openSessionSocket(cluster: Cluster, session: Session): Promise<RecordedSocket> {
  const socket = await openSocket(wsUrl(cluster, session), { cookie: session.cookie });
  expect(JSON.parse(await socket.next())).toMatchObject({ node: session.node, state: 'connected' });
  return socket;
}

/** A socket's reconnect reaches a serving node, which ends the session and says so. */
export async function expectToldOnReconnect(cluster: Cluster, session: Session): Promise<void> {
  const again = await openSocket(wsUrl(cluster, session), { cookie: session.cookie });
  const told = JSON.parse(await again.next());
  expect(told).toMatchObject({ state: 'terminated', reason: 'not-owner' });
  expect(told.node).not.toBe(session.node);
  expect((await again.closed).code).toBe(4410);
}

/** A request's answer with the time it arrived, or its error with the time it failed. */
export async function timed(
  request: Promise<Response>,
): Promise<{ at: number; status?: number; body?: unknown }> {
  try {
    const res = await request;
    const body = await res.json();
    return { at: Date.now(), status: res.status, body };
  } catch {
    return { at: Date.now() };
  }
}

/** Reads a streamed body until it ends or fails; resolves with the time and how it ended. */
export async function readStream(
  res: Response,
): Promise<{ at: number; chunks: number; ended: 'done' | 'error' }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let chunks = 0;
  try {
    for (;;) {
      const { done } = await reader.read();
      if (done) return { at: Date.now(), chunks, ended: 'done' };
      chunks++;
    }
  } catch {
    return { at: Date.now(), chunks, ended: 'error' };
  }
}

/**
 * CB_Server_1 frozen (SIGSTOP) under a long-poll, a held POST, a stream and a WebSocket, with no new
 * request after the freeze: each is answered or ended within the bound of `health`; CB_Server_2's
 * long-poll, held longer than that, is never cut and its session lives.
 */
export async function frozenNodeEndsEverything(cluster: Cluster, health: HealthSettings): Promise<void> {
  const bound = boundOf(health);
  const [mine, healthy] = await Promise.all([
    startSession(cluster.router.url, 'CB_Server_1'),
    startSession(cluster.router.url, 'CB_Server_2'),
  ]);
  const headers = { cookie: mine.cookie };
  const longPoll = timed(
    fetch(`${cluster.router.url}/cobrowse/poll?session=${mine.session}&wait=30000`, { headers }),
  );
  const held = timed(fetch(`${cluster.router.url}/cobrowse/hang`, { method: 'POST', headers, body: '{}' }));
  const stream = fetch(`${cluster.router.url}/cobrowse/stream?chunks=100000&interval=100`, {
    headers,
  }).then(readStream);
  const socket = await openSessionSocket(cluster, mine);
  // Held by a healthy node for longer than any failover bound.
  const healthyPoll = timed(
    fetch(`${cluster.router.url}/cobrowse/poll?session=${healthy.session}&wait=${bound + 2000}`, {
      headers: { cookie: healthy.cookie },
    }),
  );
  await sleep(500);

  // From here on no new request reaches the router until everything has been told.
  const frozenAt = freeze(cluster, 'CB_Server_1');
  const [poll, post, streamed, closed] = await Promise.all([
    longPoll,
    held,
    stream,
    socket.closed.then((close) => ({ ...close, at: Date.now() })),
  ]);
  const sinceFreeze = (at: number) => at - frozenAt;
  console.log(
    `frozen node, bound ${bound} ms (checks every ${health.HEALTH_INTERVAL_MS} ms): long-poll told after ${sinceFreeze(poll.at)} ms, POST answered after ${sinceFreeze(post.at)} ms, ` +
      `stream cut after ${sinceFreeze(streamed.at)} ms, WebSocket closed after ${sinceFreeze(closed.at)} ms`,
  );
  // The long-poll goes to a serving node as owner-down, which ends the session.
  expect(poll.status).toBe(410);
  expect(poll.body).toMatchObject({ reason: 'not-owner' });
  expect(sinceFreeze(poll.at)).toBeLessThan(bound + SLACK_MS);
  // The POST's body may still be processed if the node wakes: it gets its error, not a second send.
  // (A fresh connection first tells whether the node is dead: up to HEALTH_TIMEOUT_MS more.)
  expect(post.status).toBe(502);
  expect(post.body).toMatchObject({ error: 'node_down', node: 'CB_Server_1' });
  expect(sinceFreeze(post.at)).toBeLessThan(bound + health.HEALTH_TIMEOUT_MS + SLACK_MS);
  expect(streamed).toMatchObject({ ended: 'error' });
  expect(streamed.chunks).toBeGreaterThan(0);
  expect(sinceFreeze(streamed.at)).toBeLessThan(bound + SLACK_MS);
  // Cut by its gate: the connection drops without a close frame (the runtime cannot send one).
  expect(closed.code).toBe(1006);
  expect(sinceFreeze(closed.at)).toBeLessThan(bound + SLACK_MS);
  await expectToldOnReconnect(cluster, mine);

  const healthyAnswer = await healthyPoll;
  expect(healthyAnswer.status).toBe(200);
  expect(healthyAnswer.body).toMatchObject({ node: 'CB_Server_2', session: healthy.session });
  const still = await fetch(`${cluster.router.url}/cobrowse/session/${healthy.session}`, {
    headers: { cookie: healthy.cookie },
  });
  expect(await still.json()).toMatchObject({ node: 'CB_Server_2', state: 'active' });
  expect(
    cluster.router.logs.some((line) => line.reason === 'owner-down' && line.path === '/cobrowse/poll'),
  ).toBe(true);
}

/** Node `id` killed under 25 new sessions a second: every one of them is created elsewhere. */
export async function killedNodeLosesNoNewSession(cluster: Cluster, id: string): Promise<void> {
  const PER_SECOND = 25;
  const results: Promise<number>[] = [];
  const started = Date.now();
  let killedAt = 0;
  while (Date.now() - started < 3000) {
    if (!killedAt && Date.now() - started > 1000) {
      cluster.node(id).process.kill('SIGKILL');
      killedAt = Date.now();
    }
    results.push(
      fetch(`${cluster.router.url}/cobrowse/session`, {
        method: 'POST',
        body: '{"channel":"/meta/handshake"}',
      }).then(
        (res) => res.status,
        () => 0,
      ),
    );
    await sleep(1000 / PER_SECOND);
  }
  const statuses = await Promise.all(results);
  const resent = cluster.router.logs.filter((line) => line.reason === 'retry' && line.method === 'POST');
  console.log(
    `killed node: ${statuses.length} new sessions in 3 s, ${statuses.filter((status) => status === 201).length} created, ` +
      `${resent.length} resent after the dead node refused`,
  );
  expect(statuses.length).toBeGreaterThanOrEqual(60);
  expect(statuses.filter((status) => status !== 201)).toEqual([]);
}
