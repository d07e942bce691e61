/**
 * The roster changed at runtime, with real node processes, real sessions and the Worker as wrangler
 * runs it: a fourth node added under traffic takes new sessions within the bound and nothing else moves;
 * a node removed with sessions is drained, then gone once quiet; `force` ends its sessions as a down
 * node's (its socket cut, its next request told the session ended); a reset goes back to NODES; a bad
 * change is refused with every problem named and changes nothing; every change is audited. A stolen
 * token reaches no internal host (NODE_HOSTS) and grows no roster past its cap; a removal that never
 * gets quiet is forced at its deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSocket } from './support/clients';
import { adminOrigin, type DemoNode, startNodes, TEST_ADMIN_HOST, useCluster } from './support/cluster';
import { type SilentListener, startSilentListener } from './support/silent-listener';
import { drive, errorsOf, sleep, startSession } from './support/traffic';

const ADMIN_TOKEN = 'roster-token-0123456789abcdef0123456';
const ROSTER_TOKEN = 'roster-changes-0123456789abcdef012345';
const IDS = ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'];
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface NodeView {
  id: string;
  origin: string;
  weight: number;
  state: string;
}
interface Status {
  nodes: NodeView[];
  roster: {
    pendingRemovals: Record<string, { at: number; by: string; deadline: number }>;
    recentChanges: { action: string; node: string | null; by: string; cause?: string }[];
  };
}

describe('the roster at runtime', () => {
  const cluster = useCluster(IDS, {
    ADMIN_TOKEN,
    ROSTER_TOKEN,
    // The admin plane on a host of its own, so the roster page's forms work: `localhost`, while
    // visitors use 127.0.0.1.
    ADMIN_HOST: TEST_ADMIN_HOST,
    HEALTH_INTERVAL_MS: 500,
    HEALTH_TIMEOUT_MS: 300,
    SLOW_START_S: 0,
  });
  let fourth: DemoNode;
  /** An internal service: on a loopback address no node has, so NODE_HOSTS (127.0.0.1) leaves it out. */
  let internal: SilentListener;
  beforeAll(async () => {
    [[fourth], internal] = (await Promise.all([
      startNodes(['CB_Server_4']),
      startSilentListener('127.0.0.2'),
    ])) as [[DemoNode], SilentListener];
  });
  afterAll(async () => {
    await Promise.all([fourth?.stop(), internal?.close()]);
  });

  const status = async (): Promise<Status> =>
    (await (await fetch(`${adminOrigin(cluster.router)}/__lb/status`, { headers: auth })).json()) as Status;
  const ids = async () => (await status()).nodes.map((node) => node.id);
  const change = (method: string, path: string, body?: unknown) =>
    fetch(`${adminOrigin(cluster.router)}/__lb${path}`, {
      method,
      headers: { authorization: `Bearer ${ROSTER_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  /** The node that takes a new session now. */
  const newSessionNode = async (): Promise<string> => {
    const res = await fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST' });
    return ((await res.json()) as { node: string }).node;
  };

  it('refuses a bad change with every problem named, and changes nothing', async () => {
    const before = await status();
    const cases: [string, string, unknown, number][] = [
      ['PUT', '/nodes/CB_Server_4', { url: 'ftp://x', weight: 'heavy' }, 400],
      ['PUT', '/nodes/CB_Server_4', { url: fourth.url, colour: 'blue' }, 400],
      ['PUT', '/nodes/CB_Server_4', '{"url": ', 400],
      ['PUT', '/nodes/CB_Server_4', [fourth.url], 400],
      ['PUT', '/nodes/bad%20id', { url: fourth.url }, 400],
      ['PUT', '/nodes/__proto__', { url: fourth.url }, 400],
      ['PUT', '/nodes/CB_Server_4', { url: fourth.url, via: 'NO_SUCH_BINDING' }, 400],
      ['PUT', '/nodes/CB_Server_4', { url: fourth.url, maxSessions: 0 }, 400],
      ['PUT', '/nodes/CB_Server_4', { url: `${fourth.url}/#${'x'.repeat(2000)}` }, 413],
      ['DELETE', '/nodes/CB_Server_9', undefined, 404],
    ];
    for (const [method, path, body, expected] of cases) {
      const res = await change(method, path, body);
      const answer = (await res.json()) as { error: string; problems?: string[] };
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(expected);
      if (expected === 400) expect(answer.problems?.length).toBeGreaterThan(0);
    }
    const problems = (
      await (await change('PUT', '/nodes/CB_Server_4', { url: 'ftp://x', weight: 'heavy' })).json()
    ).problems;
    expect(problems).toEqual([
      'NODES[3].url: must be an absolute http:// or https:// URL',
      'NODES[3].weight: must be an integer from 0 to 1000',
    ]);
    // The last node with a weight cannot go to 0: the roster would take no new session.
    for (const id of ['CB_Server_1', 'CB_Server_2']) {
      await change('PUT', `/nodes/${id}`, { url: cluster.node(id).url, weight: 0 });
    }
    const allZero = await change('PUT', '/nodes/CB_Server_3', {
      url: cluster.node('CB_Server_3').url,
      weight: 0,
    });
    expect(allZero.status).toBe(400);
    await change('POST', '/roster/reset');
    const after = await status();
    expect(after.nodes.map(({ id, origin, weight }) => ({ id, origin, weight }))).toEqual(
      before.nodes.map(({ id, origin, weight }) => ({ id, origin, weight })),
    );
  });

  it('refuses a node on a host NODE_HOSTS does not allow, however it is spelt: nothing changes, nothing reaches it', async () => {
    const before = await status();
    const { port } = internal;
    const forms = [
      `http://127.0.0.2:${port}`,
      `http://0x7f.0.0.2:${port}`, // the URL parser reads 127.0.0.2
      `http://2130706434:${port}`, // 127.0.0.2
      `http://[::ffff:127.0.0.2]:${port}`, // IPv4-mapped
      `http://127.0.0.2.:${port}`, // trailing dot
      `http://LOCALHOST.:${port}`, // upper case, trailing dot: a name no node has
      `http://127.0.0.1:${fourth.port}@127.0.0.2:${port}`, // userinfo: the host is 127.0.0.2
    ];
    for (const url of forms) {
      const res = await change('PUT', '/nodes/INTERNAL', { url, weight: 0 });
      const answer = (await res.json()) as { problems?: string[] };
      expect(res.status, url).toBe(400);
      expect(answer.problems, url).toContainEqual(
        expect.stringMatching(/^NODES\[3\]\.url: host \S+ is not in NODE_HOSTS \(127\.0\.0\.1\)/),
      );
      // The attacker's next step, anonymous: a request pinned to the id. No such node: no pin, so a
      // roster node serves it, and the internal host hears nothing.
      const pinned = await fetch(`${cluster.router.url}/cobrowse/x?co-browse-node-id=INTERNAL`);
      await pinned.arrayBuffer();
      expect(IDS, url).toContain(pinned.headers.get('x-demo-node'));
      expect(internal.connections(), `connections the internal host received after ${url}`).toBe(0);
    }
    const after = await status();
    expect(after.nodes.map((node) => node.id)).toEqual(before.nodes.map((node) => node.id));
    expect(after.roster.recentChanges).toEqual(before.roster.recentChanges);
  });

  it('adds a fourth node under traffic: new sessions reach it within the bound, nothing else moves', async () => {
    const sessions = await Promise.all(IDS.map((id) => startSession(cluster.router.url, id)));
    const traffic = drive(cluster.router.url, sessions, 50);
    try {
      const added = await change('PUT', '/nodes/CB_Server_4', { url: fourth.url, weight: 1 });
      expect(added.status).toBe(200);
      const at = Date.now();
      // Least sessions sends a new session to the idle newcomer first; any of them may take one.
      let reachedMs = Number.NaN;
      for (let i = 0; i < 200 && Number.isNaN(reachedMs); i++) {
        if ((await newSessionNode()) === 'CB_Server_4') reachedMs = Date.now() - at;
      }
      console.log(`added node: first new session ${reachedMs} ms after the PUT`);
      expect(reachedMs).toBeLessThan(3000);
    } finally {
      await traffic.stop();
    }
    for (const session of sessions) expect(errorsOf(session)).toEqual([]);
    expect(await ids()).toEqual([...IDS, 'CB_Server_4']);
    const [newest] = (await status()).roster.recentChanges;
    expect(newest).toMatchObject({
      action: 'set',
      node: 'CB_Server_4',
      by: expect.stringMatching(/^bearer roster token from /),
    });
  });

  it('removes a node with sessions once quiet: drained meanwhile, its session served to the end', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_4');
    const removing = await change('DELETE', '/nodes/CB_Server_4');
    expect(removing.status).toBe(202);
    expect((await status()).nodes.find((node) => node.id === 'CB_Server_4')?.state).toBe('draining');
    // Its session keeps being served while it is used.
    const traffic = drive(cluster.router.url, [session], 200);
    await sleep(3000);
    await traffic.stop();
    expect(errorsOf(session)).toEqual([]);
    expect(await ids()).toContain('CB_Server_4');
    // No new session goes there meanwhile.
    for (let i = 0; i < 20; i++) expect(await newSessionNode()).not.toBe('CB_Server_4');
    // Quiet for twice the hand-over (10 s), then gone at the next round of checks.
    const started = Date.now();
    await expect.poll(ids, { timeout: 40_000, interval: 500 }).not.toContain('CB_Server_4');
    console.log(`removed once quiet: gone ${Date.now() - started} ms after its last request`);
  }, 60_000);

  it('removes a node at once with force: its socket cut, its session told it ended', async () => {
    const session = await startSession(cluster.router.url, 'CB_Server_3');
    const socket = await openSocket(
      `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws?session=${session.session}`,
      {
        cookie: session.cookie,
      },
    );
    await socket.next();
    const gone = await change('DELETE', '/nodes/CB_Server_3?force=1');
    expect(gone.status).toBe(200);
    const closed = await Promise.race([socket.closed, sleep(5000).then(() => undefined)]);
    expect(closed, 'the socket of the removed node was cut').toBeDefined();
    const res = await fetch(`${cluster.router.url}/cobrowse/session/${session.session}`, {
      headers: { cookie: session.cookie },
    });
    expect(res.status).toBe(410);
    expect(await res.json()).toMatchObject({ reason: 'not-owner' });
    expect(await ids()).toEqual(['CB_Server_1', 'CB_Server_2']);
  });

  it('is changed from the roster page: its forms add a node and edit its weight, with the page’s token', async () => {
    const browser = { authorization: `Basic ${btoa(`ops:${ADMIN_TOKEN}`)}`, 'sec-fetch-site': 'same-origin' };
    const page = await (
      await fetch(`${adminOrigin(cluster.router)}/__lb/roster`, { headers: browser })
    ).text();
    expect(page).toContain('data-node="CB_Server_1"');
    const token = /name="form-token" value="([0-9a-f]{64})"/.exec(page)?.[1] as string;
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${adminOrigin(cluster.router)}/__lb${path}`, {
        method: 'POST',
        headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          ...fields,
          'form-token': token,
          'roster-token': ROSTER_TOKEN,
        }).toString(),
        redirect: 'manual',
      });
    const added = await post('/roster', { id: 'CB_Server_4', url: fourth.url, weight: '2', maxSessions: '' });
    expect(added.status).toBe(303);
    expect((await status()).nodes.find((node) => node.id === 'CB_Server_4')).toMatchObject({ weight: 2 });
    // Its WebSockets go through the socket gates, which learn the new roster from the board. (Held
    // until cut, a socket keeps a node from ever being quiet: this node is removed with force below.)
    const socket = await openSocket(`${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`, {
      cookie: 'gcbSessionServer=.CB_Server_4',
    });
    expect(JSON.parse(await socket.next())).toMatchObject({ node: 'CB_Server_4', state: 'connected' });
    const edited = await post('/roster', { id: 'CB_Server_4', url: fourth.url, weight: '5' });
    expect(edited.status).toBe(303);
    expect((await status()).nodes.find((node) => node.id === 'CB_Server_4')).toMatchObject({ weight: 5 });
    const refused = await post('/roster', { id: 'CB_Server_4', url: fourth.url, weight: 'many' });
    expect(refused.status).toBe(400);
    const removed = await post('/nodes/CB_Server_4/remove', { force: '1' });
    expect(removed.status).toBe(303);
    await Promise.race([socket.closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
    expect(socket.socket.readyState, 'its socket was cut').toBe(socket.socket.CLOSED);
    expect(await ids()).not.toContain('CB_Server_4');
    // The page lists the changes, newest first, with who made them.
    const after = await (
      await fetch(`${adminOrigin(cluster.router)}/__lb/roster`, { headers: browser })
    ).text();
    expect(after).toContain('basic admin token from');
  });

  it('goes back to NODES on a reset', async () => {
    const reset = await change('POST', '/roster/reset');
    expect(reset.status).toBe(200);
    expect(await ids()).toEqual(IDS);
    expect((await status()).roster.recentChanges[0]).toMatchObject({ action: 'reset' });
  });

  it('forces a removal at its deadline while a pinned client keeps the node busy', async () => {
    expect((await change('PUT', '/nodes/CB_Server_4', { url: fourth.url })).status).toBe(200);
    const session = await startSession(cluster.router.url, 'CB_Server_4');
    // A pinned GET every 2 s: never the 10 s of quiet a removal waits for.
    const traffic = drive(cluster.router.url, [session], 2000);
    try {
      const asked = Date.now();
      expect((await change('DELETE', '/nodes/CB_Server_4')).status).toBe(202);
      // Without a deadline: the default, half an hour.
      const pending = (await status()).roster.pendingRemovals.CB_Server_4;
      expect(pending?.deadline).toBeGreaterThanOrEqual(asked + 1_800_000);
      expect(pending?.deadline).toBeLessThanOrEqual(Date.now() + 1_800_000);
      expect((await change('DELETE', '/nodes/CB_Server_4?deadline=0')).status).toBe(400);
      const removing = await change('DELETE', '/nodes/CB_Server_4?deadline=6');
      expect(removing.status).toBe(202);
      const { deadline } = (await status()).roster.pendingRemovals.CB_Server_4 ?? { deadline: 0 };
      expect(deadline).toBeGreaterThan(Date.now());
      const page = await (await fetch(`${adminOrigin(cluster.router)}/__lb/`, { headers: auth })).text();
      expect(page).toContain(`data-removal-deadline="${deadline}"`);
      expect(page).toContain(`forced at ${new Date(deadline).toISOString()}`);
      await expect.poll(ids, { timeout: 15_000, interval: 250 }).not.toContain('CB_Server_4');
      const goneAt = Date.now();
      console.log(`removal forced ${goneAt - deadline} ms after its deadline`);
      expect(goneAt).toBeGreaterThanOrEqual(deadline);
      // The client kept asking all along, and its node served it until the deadline.
      expect(
        session.answers.filter((answer) => answer.at < deadline && answer.node === 'CB_Server_4').length,
      ).toBeGreaterThan(1);
    } finally {
      await traffic.stop();
    }
    const after = await status();
    expect(after.roster.pendingRemovals).toEqual({});
    expect(after.roster.recentChanges[0]).toMatchObject({
      action: 'removed',
      node: 'CB_Server_4',
      cause: 'deadline',
    });
  }, 40_000);

  it('caps the roster at 64 nodes: the 65th is refused, naming the cap, and nothing changes', async () => {
    for (let index = 4; index <= 64; index++) {
      const res = await change('PUT', `/nodes/CB_Server_${index}`, { url: fourth.url, weight: 0 });
      expect(res.status, `node ${index}`).toBe(200);
    }
    const before = await status();
    expect(before.nodes).toHaveLength(64);
    const refused = await change('PUT', '/nodes/CB_Server_65', { url: fourth.url, weight: 0 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { problems: string[] }).problems).toEqual([
      "NODES: at most 64 nodes, the roster's cap (this roster has 65)",
    ]);
    const after = await status();
    expect(after.nodes.map((node) => node.id)).toEqual(before.nodes.map((node) => node.id));
    expect(after.roster.recentChanges).toEqual(before.roster.recentChanges);
    expect((await change('POST', '/roster/reset')).status).toBe(200);
  }, 60_000);
});
