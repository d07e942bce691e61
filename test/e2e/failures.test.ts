import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from './support/cluster';
import { type RunningRouter, startRouter } from './support/router';

const CONNECT_TIMEOUT_MS = 500;
const REPLAY_BODY_BYTES = 1024;

// Health is held still here (a node goes down only after 100 failures, checks once a minute), so
// these tests see what one request does when its node fails; failover.test.ts covers health.
describe('a request whose node fails', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2', 'CB_Server_3'], {
    CONNECT_TIMEOUT_MS,
    REPLAY_BODY_BYTES,
    HEALTH_FALL: 100,
    HEALTH_INTERVAL_MS: 60_000,
  });
  const pinnedTo = (id: string) => ({ cookie: `gcbSessionServer=.${id}` });
  beforeAll(() => cluster.node('CB_Server_2').stop());
  /** Paths a live node received. */
  const seenBy = async (id: string): Promise<string[]> => {
    const res = await fetch(`${cluster.node(id).url}/cobrowse/control`);
    return ((await res.json()) as { seenPaths: string[] }).seenPaths;
  };
  const logOf = (path: string) => cluster.router.logs.find((line) => line.path === path);

  it('pinned and without a body, goes to another node as owner-down once its node is confirmed dead', async () => {
    const res = await fetch(`${cluster.router.url}/cobrowse/session/lost`, {
      headers: pinnedTo('CB_Server_2'),
    });
    expect(res.status).toBe(410);
    const body = (await res.json()) as { node: string; reason: string };
    expect(body.reason).toBe('not-owner');
    expect(body.node).not.toBe('CB_Server_2');
    await expect
      .poll(() => logOf('/cobrowse/session/lost'))
      .toMatchObject({
        node: body.node,
        reason: 'owner-down',
        retriedFrom: ['CB_Server_2'],
        status: 410,
      });
  });

  it('with a body read whole (up to REPLAY_BODY_BYTES), is sent to another node once its node is confirmed dead', async () => {
    const moved = (reason: string) =>
      cluster.router.logs.some(
        (line) => line.path === '/cobrowse/echo/replay' && line.reason === reason && line.retriedFrom,
      );
    for (const [headers, reason] of [
      [pinnedTo('CB_Server_2'), 'owner-down'],
      [{}, 'retry'],
    ] as const) {
      // Without a pin, the dead node is tried first only by chance (1 in 3): ask until it was.
      for (let attempt = 0; attempt < 40 && !moved(reason); attempt++) {
        const res = await fetch(`${cluster.router.url}/cobrowse/echo/replay`, {
          method: 'POST',
          headers,
          body: 'x'.repeat(REPLAY_BODY_BYTES),
        });
        expect(res.status).toBe(200);
        const echo = (await res.json()) as { node: string; bytes: number };
        expect(echo).toMatchObject({ bytes: REPLAY_BODY_BYTES });
        expect(echo.node).not.toBe('CB_Server_2');
      }
      expect(moved(reason)).toBe(true);
    }
  });

  it('with a streamed body (over REPLAY_BODY_BYTES) gives a 502 naming the dead node at once, and goes nowhere else', async () => {
    const started = Date.now();
    const res = await fetch(`${cluster.router.url}/cobrowse/dom`, {
      method: 'POST',
      headers: pinnedTo('CB_Server_2'),
      body: 'x'.repeat(REPLAY_BODY_BYTES + 1),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'node_unreachable', node: 'CB_Server_2' });
    for (const id of ['CB_Server_1', 'CB_Server_3']) expect(await seenBy(id)).not.toContain('/cobrowse/dom');
  });

  it('whose live node dropped the connection gets a 502 and is never sent to another node', async () => {
    for (const init of [
      { headers: pinnedTo('CB_Server_1') },
      { method: 'POST', headers: pinnedTo('CB_Server_1'), body: 'x' },
    ]) {
      const res = await fetch(`${cluster.router.url}/cobrowse/reset`, init);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: 'node_unreachable', node: 'CB_Server_1' });
    }
    expect((await seenBy('CB_Server_1')).filter((path) => path === '/cobrowse/reset')).toHaveLength(2);
    expect(await seenBy('CB_Server_3')).not.toContain('/cobrowse/reset');
  });

  it('that sends no headers within CONNECT_TIMEOUT_MS gives a 504 JSON naming the node, and stays with it', async () => {
    for (const init of [
      { method: 'POST', headers: pinnedTo('CB_Server_1'), body: 'x' },
      { headers: pinnedTo('CB_Server_1') },
    ]) {
      const started = Date.now();
      const res = await fetch(`${cluster.router.url}/cobrowse/hang`, init);
      const elapsed = Date.now() - started;
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: 'node_timeout', node: 'CB_Server_1' });
      expect(elapsed).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);
    }
    expect(await seenBy('CB_Server_3')).not.toContain('/cobrowse/hang');
  });

  it('the header limit does not cut a body that takes longer once headers arrived', async () => {
    const res = await fetch(`${cluster.router.url}/cobrowse/stream?chunks=8&interval=200`, {
      headers: pinnedTo('CB_Server_1'),
    });
    expect((await res.text()).trim().split('\n')).toHaveLength(8);
  });

  it('logs the failure with node, status and cause', async () => {
    // Its own failing request (a streamed body to the dead node), so the test stands alone.
    const res = await fetch(`${cluster.router.url}/cobrowse/dom/logged`, {
      method: 'POST',
      headers: pinnedTo('CB_Server_2'),
      body: 'x'.repeat(REPLAY_BODY_BYTES + 1),
    });
    expect(res.status).toBe(502);
    await expect
      .poll(() =>
        cluster.router.logs.find((line) => line.status === 502 && line.path === '/cobrowse/dom/logged'),
      )
      .toMatchObject({
        msg: 'request',
        node: 'CB_Server_2',
        reason: 'sticky',
        failure: expect.any(String),
      });
  });
});

describe('a broken config', () => {
  let router: RunningRouter;
  beforeAll(async () => {
    router = await startRouter({
      NODES: [{ id: 'bad id', url: 'ftp://cb1' }, { url: 'http://cb2.example.com' }],
      CONNECT_TIMEOUT_MS: 'soon',
    });
  });
  afterAll(() => router?.stop());

  it('answers every request with a 500 JSON naming every problem, and logs them', async () => {
    for (const path of ['/cobrowse/x', '/elsewhere']) {
      const res = await fetch(router.url + path);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        error: 'config_invalid',
        message: 'the router configuration is invalid',
        problems: [
          expect.stringMatching(/^NODES\[0\]\.id: /),
          expect.stringMatching(/^NODES\[0\]\.url: /),
          expect.stringMatching(/^NODES\[1\]\.id: /),
          expect.stringMatching(/^CONNECT_TIMEOUT_MS: /),
        ],
      });
    }
    expect(router.logs.filter((line) => line.msg === 'config invalid')).toHaveLength(1);
  });
});
