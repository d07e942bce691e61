/**
 * A socket gate cannot see a piped socket end, so what bounds its memory is how long it holds each
 * one (SOCKET_MAX_AGE_S) times the rate of handshakes. 10,000 sockets opened and closed through the
 * router: the gates hold every one of them, then, once they pass the age limit, none, and say so.
 */
import { expect, it } from 'vitest';
import { openSocket } from './clients';
import { useCluster } from './cluster';
import { routerMemoryMiB } from './process-memory';
import { sleep } from './traffic';

const ADMIN_TOKEN = 'websocket-churn-token-0123456789abcd';
/** The shortest age limit the config accepts, so the test waits seconds, not an hour. */
const SOCKET_MAX_AGE_S = 10;
/** A gate ages its sockets on its tick (proxy/socket-gate.ts TICK_MS) and then reports them. */
const TICK_MS = 5000;
const SOCKETS = 10_000;
const AT_ONCE = 50;

const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], { ADMIN_TOKEN, SOCKET_MAX_AGE_S });

interface Held {
  held: number;
  opened: number;
  recycled: number;
}

/** Sockets held, opened and recycled over every node, as the status JSON says. */
async function sockets(): Promise<Held> {
  const res = await fetch(`${cluster.router.url}/__lb/status`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const { nodes } = (await res.json()) as {
    nodes: {
      traffic: { heldWebSockets: number; totals: { webSocketsOpened: number; webSocketsRecycled: number } };
    }[];
  };
  const sum = (of: (traffic: (typeof nodes)[number]['traffic']) => number) =>
    nodes.reduce((total, node) => total + of(node.traffic), 0);
  return {
    held: sum((traffic) => traffic.heldWebSockets),
    opened: sum((traffic) => traffic.totals.webSocketsOpened),
    recycled: sum((traffic) => traffic.totals.webSocketsRecycled),
  };
}

it('10,000 sockets opened and closed: the gates let go of every one once it passes the age limit', async () => {
  const url = `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`;
  const before = routerMemoryMiB();
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < SOCKETS) {
        // Pinned, as a session's reconnects are, from many addresses (a socket's handshakes are rate
        // limited per address).
        const i = next++;
        const socket = await openSocket(url, {
          cookie: `gcbSessionServer=.CB_Server_${(i % 2) + 1}`,
          'cf-connecting-ip': `10.1.${i >> 8}.${i & 255}`,
        });
        await socket.next();
        socket.socket.close(1000);
        await socket.closed;
      }
    }),
  );
  const openedIn = Date.now() - started;
  const afterChurn = routerMemoryMiB();
  // Every socket opened within the last age limit is still held: the gates cannot tell it ended.
  await sleep(TICK_MS + 1000);
  const held = await sockets();
  await sleep(SOCKET_MAX_AGE_S * 1000 + TICK_MS + 1000);
  const released = await sockets();
  const afterRelease = routerMemoryMiB();
  console.log(
    `${SOCKETS} sockets opened and closed in ${openedIn} ms: held ${held.held} after it, ${released.held} once ${SOCKET_MAX_AGE_S} s old ` +
      `(${released.recycled} recycled); router memory ${before.toFixed(0)} -> ${afterChurn.toFixed(0)} -> ${afterRelease.toFixed(0)} MiB`,
  );
  expect(released.opened).toBe(SOCKETS);
  expect(held.held).toBeGreaterThan(0);
  expect(held.held + held.recycled).toBe(SOCKETS);
  expect(released).toMatchObject({ held: 0, recycled: SOCKETS });
}, 180_000);
