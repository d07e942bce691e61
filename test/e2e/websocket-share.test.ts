/**
 * What one client may hold: every socket of one client key meets in one gate (sharded by the key),
 * which caps its open sockets (WEBSOCKETS_PER_CLIENT); with ends reported, sockets a client opened and
 * closed are not counted, so no client can make the cluster look full by churning handshakes.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type WebSocketType from 'ws';
import { openPinned } from './support/clients';
import { type DemoNode, useCluster } from './support/cluster';
import { startRouter } from './support/router';
import { readStatus } from './support/status';
import { sleep } from './support/traffic';

const WebSocket: typeof WebSocketType = createRequire(import.meta.url)('ws');
const ADMIN_TOKEN = 'websocket-share-token-0123456789abcd';
const PER_CLIENT = 5;
const MAX_SESSIONS = 20;

/** Three nodes that take 20 sessions each, and a small per-client cap. */
const cluster = useCluster(
  ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'],
  { ADMIN_TOKEN, WEBSOCKETS_PER_CLIENT: PER_CLIENT },
  {
    start: (nodes: readonly DemoNode[], vars) =>
      startRouter({ NODES: nodes.map(({ id, url }) => ({ id, url, maxSessions: MAX_SESSIONS })), ...vars }),
  },
);

const wsUrl = () => `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`;
const pinned = (node: string, address: string) => openPinned(cluster.router.url, node, address);

/** The status of the handshake `address` gets refused with, or 101 when it opens. */
function handshakeStatus(address: string): Promise<{ status: number; retryAfter: string | null }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl(), {
      headers: { cookie: 'gcbSessionServer=.CB_Server_1', 'cf-connecting-ip': address },
    });
    socket.once('open', () => {
      socket.close(1000);
      resolve({ status: 101, retryAfter: null });
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] ?? null });
      res.resume();
    });
  });
}

async function fullNodes(): Promise<string[]> {
  const { nodes } = await readStatus<{ nodes: { id: string; full: boolean; openSessions?: number }[] }>(
    cluster.router.url,
    ADMIN_TOKEN,
  );
  return nodes.filter((node) => node.full || (node.openSessions ?? 0) >= MAX_SESSIONS).map((node) => node.id);
}

describe('one client', () => {
  it('opening and closing 60 pinned handshakes makes no node full, and new visitors get sessions', async () => {
    const seenFull = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const socket = await pinned(`CB_Server_${(i % 3) + 1}`, '203.0.113.7');
      socket.socket.close(1000);
      await socket.closed;
      if (i % 10 === 9) for (const node of await fullNodes()) seenFull.add(node);
    }
    await sleep(1500);
    for (const node of await fullNodes()) seenFull.add(node);
    expect([...seenFull]).toEqual([]);
    const visitors = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fetch(`${cluster.router.url}/cobrowse/session`, {
          method: 'POST',
          headers: { 'cf-connecting-ip': `198.51.100.${i}` },
        }),
      ),
    );
    expect(visitors.map((res) => res.status)).toEqual(new Array(10).fill(201));
  }, 60_000);

  it('over its open-socket cap gets 429 with Retry-After, while another client opens; a close frees its place', async () => {
    const held = await Promise.all(
      Array.from({ length: PER_CLIENT }, () => pinned('CB_Server_1', '203.0.113.9')),
    );
    const over = await handshakeStatus('203.0.113.9');
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    // Logged like any refusal: the operator sees which node the client was held back from.
    await expect
      .poll(() => cluster.router.logs.find((line) => line.failure === 'too_many_websockets'))
      .toMatchObject({ msg: 'request', status: 429, node: 'CB_Server_1', reason: 'sticky', webSocket: true });
    // Another address is not affected, nor another client's sockets.
    expect((await handshakeStatus('203.0.113.10')).status).toBe(101);
    held[0]?.socket.send('still here');
    expect(await held[0]?.next()).toContain('still here');
    // One ends: its place is free again as soon as the end is reported.
    held[0]?.socket.close(1000);
    await held[0]?.closed;
    let again = await handshakeStatus('203.0.113.9');
    for (let tries = 0; again.status !== 101 && tries < 20; tries++) {
      await sleep(100);
      again = await handshakeStatus('203.0.113.9');
    }
    expect(again.status).toBe(101);
    for (const socket of held.slice(1)) socket.socket.close(1000);
  }, 60_000);
});
