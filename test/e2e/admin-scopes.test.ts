/**
 * What each admin credential may do (issue 31, finding 3): the admin token (the status page's login,
 * a Prometheus job's) reads and runs node actions but cannot change the roster, so a stolen one cannot
 * point the router at a host of the attacker's choosing; the roster token can, as a Bearer token or
 * typed into the roster page's form, never as a browser's standing login. The admin host is
 * `localhost` here, the visitors' `127.0.0.1`.
 */
import { describe, expect, it } from 'vitest';
import { adminOrigin, TEST_ADMIN_HOST, useCluster } from './support/cluster';

const ADMIN_TOKEN = 'scopes-admin-token-0123456789abcdef0123';
const ROSTER_TOKEN = 'scopes-roster-token-0123456789abcdef012';
const basic = (token: string) => `Basic ${btoa(`ops:${token}`)}`;

describe('with ROSTER_TOKEN and ADMIN_HOST set', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], {
    ADMIN_TOKEN,
    ROSTER_TOKEN,
    ADMIN_HOST: TEST_ADMIN_HOST,
  });
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${adminOrigin(cluster.router)}/__lb${path}`, {
      redirect: 'manual',
      ...init,
    });
  const put = (id: string, authorization: string) =>
    admin(`/nodes/${id}`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ url: cluster.node('CB_Server_2').url, weight: 0 }),
    });
  const ids = async () => {
    const res = await admin('/status', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await res.json()) as { nodes: { id: string }[] }).nodes.map((node) => node.id);
  };

  it('the admin token cannot change the roster, as Bearer or Basic; the roster token can, as Bearer only', async () => {
    const refused = await put('CB_Server_9', `Bearer ${ADMIN_TOKEN}`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('roster_token_required');
    for (const path of ['/roster/reset', '/nodes/CB_Server_2/remove']) {
      const res = await admin(path, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(403);
    }
    const deleted = await admin('/nodes/CB_Server_2?force=1', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(deleted.status).toBe(403);
    // The roster token is never a browser's login: as a Basic password it is a failed login.
    expect((await put('CB_Server_9', basic(ROSTER_TOKEN))).status).toBe(401);
    expect(await ids()).toEqual(['CB_Server_1', 'CB_Server_2']);

    const added = await put('CB_Server_9', `Bearer ${ROSTER_TOKEN}`);
    expect(added.status).toBe(200);
    expect(await ids()).toEqual(['CB_Server_1', 'CB_Server_2', 'CB_Server_9']);
    const removed = await admin('/nodes/CB_Server_9?force=1', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ROSTER_TOKEN}` },
    });
    expect(removed.status).toBe(200);
    expect(await ids()).toEqual(['CB_Server_1', 'CB_Server_2']);
  });

  it('a Basic-authenticated change from the page’s own origin still needs the page’s form token', async () => {
    const headers = { authorization: basic(ADMIN_TOKEN), 'sec-fetch-site': 'same-origin' };
    const refused = await admin('/nodes/CB_Server_1/drain', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=drain',
    });
    expect(refused.status).toBe(403);
    const page = await (await admin('/', { headers })).text();
    const token = /name="form-token" value="([0-9a-f]{64})"/.exec(page)?.[1];
    expect(token).toBeDefined();
    const done = await admin('/nodes/CB_Server_1/enable', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: `action=enable&form-token=${token}`,
    });
    expect(done.status).toBe(303);
  });

  it("a roster form from the page takes the roster token typed into it, not the browser's login", async () => {
    const headers = {
      authorization: basic(ADMIN_TOKEN),
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
    };
    const page = await (await admin('/roster', { headers: { authorization: basic(ADMIN_TOKEN) } })).text();
    expect(page).toContain('name="roster-token"');
    const token = /name="form-token" value="([0-9a-f]{64})"/.exec(page)?.[1] as string;
    const form = (typed: string) =>
      new URLSearchParams({
        'form-token': token,
        'roster-token': typed,
        id: 'CB_Server_8',
        url: cluster.node('CB_Server_2').url,
        weight: '0',
      }).toString();
    expect((await admin('/roster', { method: 'POST', headers, body: form('') })).status).toBe(403);
    expect((await admin('/roster', { method: 'POST', headers, body: form(ADMIN_TOKEN) })).status).toBe(403);
    expect(await ids()).toEqual(['CB_Server_1', 'CB_Server_2']);
    const added = await admin('/roster', { method: 'POST', headers, body: form(ROSTER_TOKEN) });
    expect(added.status).toBe(303);
    expect(await ids()).toEqual(['CB_Server_1', 'CB_Server_2', 'CB_Server_8']);
    await admin('/nodes/CB_Server_8?force=1', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ROSTER_TOKEN}` },
    });
  });
});

describe('without ROSTER_TOKEN', () => {
  const cluster = useCluster(['CB_Server_1'], { ADMIN_TOKEN });

  it('roster changes are off, whoever asks; node actions still work', async () => {
    const res = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_9`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: cluster.node('CB_Server_1').url }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('roster_changes_off');
    const drain = await fetch(`${cluster.router.url}/__lb/nodes/CB_Server_1/drain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(drain.status).toBe(200);
  });
});
