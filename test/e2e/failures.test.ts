import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from './cluster';
import { type RunningRouter, startRouter } from './router';

const CONNECT_TIMEOUT_MS = 500;

// Health is held still here (a node goes down only after 100 failures, checks once a minute), so
// these tests see what one request does when its node fails; failover.test.ts covers health.
describe('a request whose node fails', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], {
    CONNECT_TIMEOUT_MS,
    HEALTH_FALL: 100,
    HEALTH_INTERVAL_MS: 60_000,
  });
  const pinnedTo = (id: string) => ({ cookie: `gcbSessionServer=.${id}` });
  beforeAll(() => cluster.node('CB_Server_2').stop());

  it('with a body gives a 502 JSON naming the unreachable node, at once, and goes nowhere else', async () => {
    const started = Date.now();
    const res = await fetch(`${cluster.router.url}/cobrowse/dom`, {
      method: 'POST',
      headers: pinnedTo('CB_Server_2'),
      body: 'x',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'node_unreachable', node: 'CB_Server_2' });
  });

  it('without a body goes to another node, which answers for the session', async () => {
    const res = await fetch(`${cluster.router.url}/cobrowse/session/lost`, {
      headers: pinnedTo('CB_Server_2'),
    });
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ node: 'CB_Server_1', reason: 'not-owner' });
    await expect
      .poll(() => cluster.router.logs.find((line) => line.path === '/cobrowse/session/lost'))
      .toMatchObject({
        node: 'CB_Server_1',
        reason: 'retry',
        retriedFrom: ['CB_Server_2'],
        status: 410,
      });
  });

  it('that sends no headers within CONNECT_TIMEOUT_MS gives a 504 JSON naming the node', async () => {
    const started = Date.now();
    const res = await fetch(`${cluster.router.url}/cobrowse/hang`, {
      method: 'POST',
      headers: pinnedTo('CB_Server_1'),
      body: 'x',
    });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: 'node_timeout', node: 'CB_Server_1' });
    expect(elapsed).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);
  });

  it('the header limit does not cut a body that takes longer once headers arrived', async () => {
    const res = await fetch(`${cluster.router.url}/cobrowse/stream?chunks=8&interval=200`, {
      headers: pinnedTo('CB_Server_1'),
    });
    expect((await res.text()).trim().split('\n')).toHaveLength(8);
  });

  it('logs the failure with node, status and cause', async () => {
    await expect
      .poll(() => cluster.router.logs.find((line) => line.status === 502))
      .toMatchObject({
        msg: 'request',
        path: '/cobrowse/dom',
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
