/**
 * The backstop (SOCKET_MAX_AGE_S): a socket whose end is never reported is cut at that age, although
 * its node serves; its client reconnects to the same node. An open socket's end is never reported, so
 * a short test setting shows the backstop at work (the default is a day).
 */
import { expect, it } from 'vitest';
import { openSocket } from './support/clients';
import { useCluster } from './support/cluster';
import { readStatus } from './support/status';

const ADMIN_TOKEN = 'websocket-backstop-token-0123456789ab';
/** The shortest backstop the config accepts. */
const SOCKET_MAX_AGE_S = 10;
/** A gate ages its sockets on its tick (gate/socket-gate.ts TICK_MS). */
const TICK_MS = 5000;
const cluster = useCluster(['CB_Server_1'], { ADMIN_TOKEN, SOCKET_MAX_AGE_S });

it('cuts a socket with no end reported once it passes the backstop, and counts it as recycled', async () => {
  const url = `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`;
  const socket = await openSocket(url, { cookie: 'gcbSessionServer=.CB_Server_1' });
  await socket.next();
  const opened = Date.now();
  const { code } = await socket.closed;
  const cutAfterMs = Date.now() - opened;
  console.log(`backstop ${SOCKET_MAX_AGE_S} s: cut after ${cutAfterMs} ms, code ${code}`);
  // The runtime cannot send a close frame on a socket it pipes: the client sees the connection drop.
  expect(code).toBe(1006);
  expect(cutAfterMs).toBeGreaterThanOrEqual(SOCKET_MAX_AGE_S * 1000 - 1000);
  expect(cutAfterMs).toBeLessThanOrEqual(SOCKET_MAX_AGE_S * 1000 + TICK_MS + 2000);
  await expect
    .poll(
      async () => {
        const { nodes } = await readStatus<{
          nodes: { traffic: { heldWebSockets: number; totals: { webSocketsRecycled: number } } }[];
        }>(cluster.router.url, ADMIN_TOKEN);
        const [node] = nodes;
        return [node?.traffic.heldWebSockets, node?.traffic.totals.webSocketsRecycled];
      },
      { timeout: TICK_MS + 3000, interval: 250 },
    )
    .toEqual([0, 1]);
}, 60_000);
