/**
 * Clients that leave mid-flight, in every phase of a request: waiting for the node's headers, while a
 * streamed body flows, during a WebSocket handshake. Nothing may stay behind: the node's held request
 * ends (a stream at once: the runtime cancels its body; a long-poll when the node answers, since local
 * workerd does not abort `request.signal` on a disconnect, with or without `enable_request_signal`:
 * where the runtime does, test/worker/client-gone.test.ts shows it ends at once), the in-flight gauge
 * and the held sockets go back to zero, and the node is not blamed.
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HAND_OVER_MS } from '../../src/wire/hand-over';
import { useCluster } from './support/cluster';
import { sleep } from './support/traffic';

const ADMIN_TOKEN = 'abandoned-token-7c2f-0123456789abcdef';
const IDS = ['CB_Server_1', 'CB_Server_2'];

interface NodeView {
  id: string;
  state: string;
  failures: number;
  traffic: { inFlight: number; heldWebSockets: number; totals: { failures: Record<string, number> } };
}

describe('a client that leaves mid-flight leaves nothing behind', () => {
  const cluster = useCluster(IDS, { ADMIN_TOKEN, HEALTH_INTERVAL_MS: 1000, HEALTH_TIMEOUT_MS: 300 });
  const nodeView = async (id: string): Promise<NodeView> => {
    const res = await fetch(`${cluster.router.url}/__lb/status`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { nodes } = (await res.json()) as { nodes: NodeView[] };
    return nodes.find((node) => node.id === id) as NodeView;
  };
  const heldAt = async (id: string): Promise<{ polls: number; streams: number }> => {
    const res = await fetch(`${cluster.node(id).url}/cobrowse/control`);
    return ((await res.json()) as { open: { polls: number; streams: number } }).open;
  };
  /** Waits until `check` holds; returns how long that took. */
  const within = async (ms: number, check: () => Promise<boolean>): Promise<number> => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
      await sleep(50);
    }
    return Date.now() - started;
  };
  /** A GET pinned to `node` whose client leaves `afterMs` after sending it, or after the first chunk. */
  const leave = (path: string, node: string, when: { afterMs: number } | 'after-first-chunk') =>
    new Promise<void>((resolve) => {
      const req = httpRequest(`${cluster.router.url}${path}`, {
        headers: { cookie: `gcbSessionServer=.${node}` },
      });
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.once('data', () => {
          if (when === 'after-first-chunk') {
            req.destroy();
            resolve();
          }
        });
      });
      req.end();
      if (when !== 'after-first-chunk') {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, when.afterMs);
      }
    });
  // The gauge reaches the board with the isolate's next hand-over.
  const GAUGE_MS = HAND_OVER_MS + 3000;

  it('waiting for headers: the long-poll ends when its node answers, and the gauge follows', async () => {
    const leaving = leave('/cobrowse/poll?wait=3000', 'CB_Server_1', { afterMs: 1000 });
    await within(5000, async () => (await heldAt('CB_Server_1')).polls === 1);
    await leaving;
    // Not told by local workerd, the router waits for the node's answer: at the hold's end.
    const endedMs = await within(5000, async () => (await heldAt('CB_Server_1')).polls === 0);
    console.log(`abandoned long-poll: ended at the node ${endedMs} ms after the client left`);
    await within(GAUGE_MS, async () => (await nodeView('CB_Server_1')).traffic.inFlight === 0);
  });

  it('streaming: the node stops sending as soon as the client is gone, and the gauge follows', async () => {
    // 100 chunks, 100 ms apart: 10 s, unless the client leaving ends it.
    await leave('/cobrowse/stream?chunks=100&interval=100', 'CB_Server_1', 'after-first-chunk');
    const endedMs = await within(2000, async () => (await heldAt('CB_Server_1')).streams === 0);
    console.log(`abandoned stream: ended at the node ${endedMs} ms after the client left`);
    await within(GAUGE_MS, async () => (await nodeView('CB_Server_1')).traffic.inFlight === 0);
  });

  it('WebSocket handshake: a handshake left waiting on a frozen node leaves no socket or gauge', async () => {
    const frozen = cluster.node('CB_Server_2');
    frozen.process.kill('SIGSTOP');
    try {
      const socket = new WebSocket(`${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`, {
        headers: { cookie: 'gcbSessionServer=.CB_Server_2' },
      });
      socket.on('error', () => {});
      await sleep(300);
      socket.terminate();
      // The board marks the frozen node down; the gate ends the handshake it still waits for.
      await within(10_000, async () => (await nodeView('CB_Server_2')).state === 'down');
    } finally {
      frozen.process.kill('SIGCONT');
    }
    await within(GAUGE_MS + 5000, async () => {
      const { traffic } = await nodeView('CB_Server_2');
      return traffic.inFlight === 0 && traffic.heldWebSockets === 0;
    });
  });

  it('blames no node for a client that left', async () => {
    await within(10_000, async () => (await nodeView('CB_Server_2')).state === 'up');
    const { failures, traffic } = await nodeView('CB_Server_1');
    expect(failures).toBe(0);
    expect(traffic.totals.failures).toEqual({ unreachable: 0, timeout: 0, 'node-down': 0, status: 0 });
  });
});
