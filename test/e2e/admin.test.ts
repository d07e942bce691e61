/**
 * The operations surface over the wire: liveness, auth, the status document, and what each node
 * action does to routing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useCluster } from './support/cluster';
import { startInOneRateWindow } from './support/rate-window';
import { httpGet, sendRaw } from './support/raw-client';
import { type Session, startSession } from './support/traffic';

const ADMIN_TOKEN = 'test-admin-token-5f2b9c-0123456789ab';
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const basic = (password: string) => ({ authorization: `Basic ${btoa(`ops:${password}`)}` });

describe('without ADMIN_TOKEN', () => {
  const cluster = useCluster(['CB_Server_1']);

  it('keeps liveness open and every admin endpoint off (404), not open', async () => {
    const health = await fetch(`${cluster.router.url}/__lb/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const attempts: [string, string][] = [
      ['GET', '/__lb/status'],
      ['GET', '/__lb/'],
      ['POST', '/__lb/nodes/CB_Server_1/drain'],
    ];
    for (const [method, path] of attempts) {
      const res = await fetch(cluster.router.url + path, { method, headers: bearer });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'not_found' });
    }
  });
});

/** Three nodes and a router with the admin token, and a call to its admin API with the token. */
function useAdminCluster() {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2', 'CB_Server_3'], {
    ADMIN_TOKEN,
    HEALTH_INTERVAL_MS: 500,
    HEALTH_TIMEOUT_MS: 300,
    LOG_REQUESTS: 'all',
  });
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${cluster.router.url}/__lb${path}`, { ...init, headers: { ...bearer, ...init.headers } });
  return { cluster, admin };
}

/** Matches null or a value of `type`. */
const nullOr = (type: unknown) => ({
  asymmetricMatch: (value: unknown) => value === null || expect.any(type).asymmetricMatch(value),
  toString: () => 'nullOr',
});

describe('with ADMIN_TOKEN', () => {
  const { cluster, admin } = useAdminCluster();

  it.each([
    ['no credentials', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
    ['a token one character short', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ['a token with a suffix', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ['the right token under another scheme', { authorization: `Token ${ADMIN_TOKEN}` }],
    ['a wrong Basic password', basic('wrong')],
    ['Basic with no password separator', { authorization: `Basic ${btoa(ADMIN_TOKEN)}` }],
    ['Basic that is not base64', { authorization: 'Basic %%%' }],
  ])('refuses %s with 401', async (label, credentials) => {
    // A client address of its own: failed logins are counted per address (by the health board).
    const headers = { ...credentials, 'cf-connecting-ip': `198.51.100.${label.length}` };
    for (const path of ['/__lb/status', '/__lb/']) {
      const res = await fetch(cluster.router.url + path, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
    const action = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_1/disable`, {
      method: 'POST',
      headers,
    });
    expect(action.status).toBe(401);
    expect((await (await admin('/status')).json()).nodes[0].mode).toBe('active');
  });

  it('refuses a brute force of 300 wrong and malformed tokens: 401 for the first 10, then 429 for the minute, the right token included; changes nothing', async () => {
    const guesser = { 'cf-connecting-ip': '203.0.113.66' };
    await startInOneRateWindow(5_000);
    const attempts = [
      ...Array.from({ length: 250 }, (_, i) => `Bearer ${ADMIN_TOKEN.slice(0, i % ADMIN_TOKEN.length)}${i}`),
      'Bearer',
      'Bearer ',
      `Bearer ${'x'.repeat(16_000)}`,
      `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`,
      `bearer${ADMIN_TOKEN}`,
      `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
      `Bearer ${encodeURIComponent(`${ADMIN_TOKEN}\u0000`)}`,
      `Basic ${btoa(`:${ADMIN_TOKEN}x`)}`,
      `Basic ${btoa('ops:')}`,
      ...Array.from({ length: 41 }, (_, i) => `Basic ${btoa(`ops:guess${i}`)}`),
    ];
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (const authorization of attempts) {
      const res = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_1/disable`, {
        method: 'POST',
        headers: { authorization, ...guesser },
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(new Set(statuses.slice(10))).toEqual(new Set([429]));
    expect(retryAfter).toBe('60');
    // Locked out: the right token from that address is refused too, and tells nothing.
    expect((await admin('/status', { headers: guesser })).status).toBe(429);
    const status = await (await admin('/status')).json();
    expect(status.nodes.map((node: { mode: string }) => node.mode)).toEqual(['active', 'active', 'active']);
    expect((await admin('/status')).status).toBe(200);
  });

  it('refuses an oversized body on a node action with 413 JSON, and changes nothing', async () => {
    // Raw, and four times the 1 KiB limit rather than megabytes: the router answers before it reads
    // the body and closes; fetch() reports that as a failed write (EPIPE) on a busy machine, and a
    // body left unread in the router's socket makes its close a reset that can discard the answer.
    const port = Number(new URL(cluster.router.url).port);
    const head = `POST /__lb/nodes/CB_Server_1/disable HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer.authorization}\r\nConnection: close\r\n`;
    const declared = 'x'.repeat(4096);
    const chunk = 'y'.repeat(4096);
    for (const request of [
      `${head}Content-Length: ${declared.length}\r\n\r\n${declared}`,
      `${head}Transfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    ]) {
      const res = await sendRaw(port, request, 10_000, { untilClose: true });
      expect(res.status).toBe(413);
      expect(res.body).toContain('"error":"body_too_large"');
    }
    expect((await (await admin('/status')).json()).nodes[0].mode).toBe('active');
  });

  it('serves the status JSON: every node with weight, health, mode, latency and transitions; no secret', async () => {
    await expect
      .poll(async () =>
        (await (await admin('/status')).json()).nodes.every(
          (node: { lastCheckAt: unknown }) => node.lastCheckAt !== null,
        ),
      )
      .toBe(true);
    const res = await admin('/status');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(ADMIN_TOKEN);
    const status = JSON.parse(text);
    // The document's shape and content; not the health of the moment (a 300 ms check of a node on a
    // busy machine may time out, which is not what this test is about).
    expect(status).toEqual({
      takenAt: expect.any(Number),
      healthBoardCalls: expect.any(Number),
      counting: { since: expect.any(Number), bucketMs: 10_000, handOvers: expect.any(Number) },
      config: {
        // The default allow-list for runtime nodes: the hosts of NODES (config/node-hosts.ts).
        nodeHosts: ['127.0.0.1'],
        stickyCookie: 'gcbSessionServer',
        stickyParam: 'co-browse-node-id',
        pathPrefix: '/cobrowse',
        connectTimeoutMs: 45_000,
        health: {
          path: '/cobrowse/health',
          intervalMs: 500,
          timeoutMs: 300,
          rise: 2,
          fall: 2,
          expect: [[200, 299]],
          onMarkedDown: 'shutdown-sessions',
        },
        logRequests: 'all',
        logSampleRate: 0.01,
        analyticsSampleRate: 0.05,
        requestIdToNodes: false,
        replayBodyBytes: 65_536,
        sockets: { gates: 2, maxAgeMs: 86_400_000, perClient: 200 },
        balance: { policy: 'least-sessions', slowStartMs: 60_000 },
        locationHint: null,
      },
      nodes: cluster.nodes.map((node) => ({
        id: node.id,
        origin: node.url,
        weight: 1,
        via: null,
        maxSessions: null,
        openSessions: expect.any(Number),
        full: false,
        // Found up at the board's first round: already serving, so no slow start.
        slowStartShare: 1,
        state: expect.any(String),
        up: expect.any(Boolean),
        answering: expect.any(Boolean),
        mode: 'active',
        passes: expect.any(Number),
        failures: expect.any(Number),
        lastFailureAt: nullOr(Number),
        lastCheckAt: expect.any(Number),
        latencyMs: expect.any(Number),
        lastError: nullOr(String),
        drainDeadline: null,
        transitions: expect.any(Array),
        traffic: expect.objectContaining({ id: node.id, totals: expect.any(Object) }),
      })),
      roster: { pendingRemovals: {}, recentChanges: [] },
      alerts: { configured: false, pending: 0, recent: [] },
      // No socket opened in this file yet: nothing to say about ends (websocket-ends.test.ts).
      webSocketEnds: { verdict: 'no-sockets', opened: 0, ended: 0, recycled: 0 },
    });
  });

  it('accepts the token as a Basic password, for the browser page the operator opens (not a script)', async () => {
    // As a browser sends it when the operator opens the page (node:http: fetch() always says `cors`).
    const opened = { ...basic(ADMIN_TOKEN), 'sec-fetch-mode': 'navigate' };
    const res = await httpGet(`${cluster.router.url}/__lb/`, opened);
    expect(res.status).toBe(200);
    // A script's request, as Node's fetch() sends it (`Sec-Fetch-Mode: cors`): refused.
    const scripted = await fetch(`${cluster.router.url}/__lb/status`, { headers: basic(ADMIN_TOKEN) });
    expect(scripted.status).toBe(403);
    expect(res.headers['content-type']).toContain('text/html');
    const html = res.body;
    for (const node of cluster.nodes) expect(html).toContain(`data-node="${node.id}"`);
  });

  it('refuses a Basic-authenticated change that does not come from the page (cross-site)', async () => {
    const forged = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_1/disable`, {
      method: 'POST',
      headers: {
        ...basic(ADMIN_TOKEN),
        origin: 'https://evil.example.com',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'action=disable',
    });
    expect(forged.status).toBe(403);
    expect((await (await admin('/status')).json()).nodes[0].mode).toBe('active');
  });

  it('answers 404 JSON for an unknown node or action, and changes nothing', async () => {
    const before = await (await admin('/status')).json();
    const unknownNode = await admin('/nodes/CB_Server_9/drain', { method: 'POST' });
    expect(unknownNode.status).toBe(404);
    expect(await unknownNode.json()).toMatchObject({ error: 'unknown_node' });
    for (const path of [
      '/nodes/CB_Server_1/explode',
      '/nodes/CB_Server_1/__proto__',
      '/nodes/CB_Server_1/toString',
    ]) {
      const res = await admin(path, { method: 'POST' });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'unknown_action' });
    }
    expect((await admin('/nodes/CB_Server_1/drain')).status).toBe(404);
    const after = await (await admin('/status')).json();
    expect(after.nodes.map((node: { mode: string }) => node.mode)).toEqual(
      before.nodes.map((node: { mode: string }) => node.mode),
    );
  });

  describe('node actions change routing', () => {
    const act = (action: string) => admin(`/nodes/CB_Server_2/${action}`, { method: 'POST' });
    // Each test stands alone: whatever it did, the node is active again after it.
    afterEach(async () => {
      await act('enable');
    });
    const newSessionNodes = async (count: number) => {
      const nodes = [];
      for (let i = 0; i < count; i++) {
        const res = await fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' });
        nodes.push(((await res.json()) as { node: string }).node);
      }
      return nodes;
    };
    const ask = async (pinned: Session) => {
      const res = await fetch(`${cluster.router.url}/cobrowse/session/${pinned.session}`, {
        headers: { cookie: pinned.cookie },
      });
      return { status: res.status, body: (await res.json()) as { node: string; reason?: string } };
    };

    it('drain: the node keeps its sessions and gets no new ones', async () => {
      const pinned = await startSession(cluster.router.url, 'CB_Server_2');
      const res = await act('drain');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 'CB_Server_2', mode: 'draining', state: 'draining' });
      expect(await newSessionNodes(30)).not.toContain('CB_Server_2');
      expect(await ask(pinned)).toEqual({
        status: 200,
        body: expect.objectContaining({ node: 'CB_Server_2' }),
      });
    });

    it('disable: the node gets nothing; its sessions end on another node', async () => {
      const pinned = await startSession(cluster.router.url, 'CB_Server_2');
      const before = cluster.router.logs.length;
      expect(await (await act('disable')).json()).toMatchObject({ state: 'disabled' });
      expect(await newSessionNodes(30)).not.toContain('CB_Server_2');
      const answer = await ask(pinned);
      expect(answer.status).toBe(410);
      expect(answer.body.reason).toBe('not-owner');
      expect(answer.body.node).not.toBe('CB_Server_2');
      await expect
        .poll(() => cluster.router.logs.slice(before).some((line) => line.reason === 'owner-down'))
        .toBe(true);
    });

    it('enable: the node takes new sessions again, and the status and the log show the change', async () => {
      await act('disable');
      const before = cluster.router.logs.length;
      expect(await (await act('enable')).json()).toMatchObject({ state: 'up' });
      // Enabled out of disabled, it slow-starts: drawn with a tenth of its weight at first, so a
      // hundred sessions (not thirty) make missing it as unlikely as 0.9^100.
      expect(await newSessionNodes(100)).toContain('CB_Server_2');
      const status = await (await admin('/status')).json();
      const node = status.nodes.find((each: { id: string }) => each.id === 'CB_Server_2');
      expect(node.transitions.slice(0, 2).map((transition: { to: string }) => transition.to)).toEqual([
        'active',
        'disabled',
      ]);
      const actions = cluster.router.logs.slice(before).filter((line) => line.msg === 'admin');
      expect(actions.map(({ action, node: id }) => `${action} ${id}`)).toEqual(['enable CB_Server_2']);
    });
  });

  it('writes one log line per request with its request id, also sent to the client (and by default not to the node)', async () => {
    const res = await fetch(`${cluster.router.url}/cobrowse/echo`, { headers: { 'x-request-id': 'forged' } });
    const echo = (await res.json()) as { headers: Record<string, string> };
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // REQUEST_ID_TO_NODES is off by default; the client's own id never reaches the node either
    // (with it on: headers.test.ts).
    expect(echo.headers['x-request-id']).toBeUndefined();
    await expect
      .poll(() => cluster.router.logs.find((line) => line.requestId === id))
      .toMatchObject({
        msg: 'request',
        method: 'GET',
        path: '/cobrowse/echo',
        node: expect.any(String),
        reason: 'balanced',
        status: 200,
        webSocket: false,
      });
  });
});

describe('a drain with a deadline', () => {
  const { admin } = useAdminCluster();

  it('drains with a deadline: the node is disabled once it passes, and a bad deadline is a 400', async () => {
    for (const bad of ['0', '86401', '1.5', 'soon']) {
      const res = await admin(`/nodes/CB_Server_3/drain?deadline=${bad}`, { method: 'POST' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'bad_deadline' });
    }
    const onDisable = await admin('/nodes/CB_Server_3/disable?deadline=5', { method: 'POST' });
    expect(onDisable.status).toBe(400);
    const res = await admin('/nodes/CB_Server_3/drain?deadline=1', { method: 'POST' });
    expect(await res.json()).toMatchObject({ mode: 'draining', drainDeadline: expect.any(Number) });
    await expect
      .poll(async () => (await (await admin('/status')).json()).nodes[2].mode, { timeout: 5000 })
      .toBe('disabled');
    const node = (await (await admin('/status')).json()).nodes[2];
    expect(node.transitions[0]).toMatchObject({ to: 'disabled', cause: 'drain deadline passed' });
    await admin('/nodes/CB_Server_3/enable', { method: 'POST' });
  });
});
