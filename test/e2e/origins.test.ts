/**
 * ALLOWED_ORIGINS over real WebSocket handshakes and requests: a page of a foreign origin can neither
 * open a visitor's Co-browse socket nor post with the visitor's cookies; the router answers 403 and the
 * node sees nothing of it.
 */
import { describe, expect, it } from 'vitest';
import { openSocket } from './support/clients';
import { useCluster } from './support/cluster';

const SITE = 'https://www.example.com';
const AGENT_DESKTOP = 'https://agent.example.com';
const FOREIGN = 'https://evil.example.net';
const pinned = { cookie: 'gcbSessionServer=.CB_Server_1' };

describe('with ALLOWED_ORIGINS set', () => {
  const cluster = useCluster(['CB_Server_1'], { ALLOWED_ORIGINS: [SITE, AGENT_DESKTOP] });
  const socketUrl = (tag: string) =>
    `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws?session=&tag=${tag}`;
  const seen = async () => {
    const res = await fetch(`${cluster.node('CB_Server_1').url}/cobrowse/control`);
    return ((await res.json()) as { seenPaths: string[] }).seenPaths;
  };

  it('opens WebSockets from the listed origins and from clients that send none', async () => {
    for (const origin of [SITE, AGENT_DESKTOP, undefined]) {
      const ws = await openSocket(socketUrl('ok'), { ...pinned, ...(origin ? { origin } : {}) });
      expect(JSON.parse(await ws.next())).toMatchObject({ state: 'connected' });
      ws.socket.close(1000);
    }
  });

  it('refuses a handshake from any other origin with a 403, before the node', async () => {
    for (const origin of [FOREIGN, 'null', `${SITE}.evil.example.net`, 'http://www.example.com']) {
      await expect(openSocket(socketUrl('refused'), { ...pinned, origin })).rejects.toThrow(
        'handshake answered 403',
      );
    }
    expect((await seen()).filter((path) => path.includes('tag=refused'))).toEqual([]);
  });

  it('refuses a state-changing request from another origin, and lets reads through', async () => {
    const post = await fetch(`${cluster.router.url}/cobrowse/echo/refused-post`, {
      method: 'POST',
      headers: { ...pinned, origin: FOREIGN },
      body: '{}',
    });
    expect(post.status).toBe(403);
    expect(await post.json()).toEqual({
      error: 'origin_refused',
      message: `pages of ${FOREIGN} may not use this Co-browse service`,
    });
    expect(await seen()).not.toContain('/cobrowse/echo/refused-post');
    const allowed = await fetch(`${cluster.router.url}/cobrowse/echo/allowed-post`, {
      method: 'POST',
      headers: { ...pinned, origin: SITE },
      body: '{}',
    });
    expect(allowed.status).toBe(200);
    const read = await fetch(`${cluster.router.url}/cobrowse/echo/read`, {
      headers: { ...pinned, origin: FOREIGN },
    });
    expect(read.status).toBe(200);
  });
});

describe('without ALLOWED_ORIGINS', () => {
  const cluster = useCluster(['CB_Server_1']);

  it('lets every origin through, and the config check warns once', async () => {
    const ws = await openSocket(`${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`, {
      ...pinned,
      origin: FOREIGN,
    });
    expect(JSON.parse(await ws.next())).toMatchObject({ state: 'connected' });
    ws.socket.close(1000);
    const warnings = cluster.router.logs.filter((line) => line.msg === 'config warnings');
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toContain('ALLOWED_ORIGINS: not set');
  });
});
