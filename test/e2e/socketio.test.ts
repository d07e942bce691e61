/**
 * A socket.io 4 cluster (three real servers) behind the router, with real socket.io-client clients:
 * they start on HTTP long-polling, upgrade to WebSocket, and exchange acknowledged messages. socket.io
 * needs sticky sessions for exactly this: a poll that reaches another server fails with
 * "Session ID unknown". The same clients through a router that ignores the cookie show that failure.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as SocketIoClient from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { useCluster } from './support/cluster';

// Through require: the ESM entry resolves to the browser build inside the test runner, which has no XHR.
const { io }: typeof SocketIoClient = createRequire(import.meta.url)('socket.io-client');
const SCRIPT = fileURLToPath(new URL('../peers/socketio-node.mjs', import.meta.url));
const IDS = ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'];
const CLIENTS = 12;
const MESSAGES = 10;

interface ClientRun {
  /** Nodes that acknowledged this client's messages. */
  readonly nodes: string[];
  readonly transport: string;
  /** Connection errors, e.g. "Session ID unknown". */
  readonly errors: string[];
}

/** One client: connect (polling, then the upgrade), send acknowledged messages, disconnect. */
async function runClient(routerUrl: string): Promise<ClientRun> {
  const socket = io(routerUrl, {
    path: '/cobrowse/socket.io/',
    withCredentials: true,
    reconnection: false,
    transports: ['polling', 'websocket'],
    timeout: 5000,
  });
  const errors: string[] = [];
  socket.on('connect_error', (error) => errors.push(error.message));
  socket.io.engine?.on('error', (error) =>
    errors.push(String(error instanceof Error ? error.message : error)),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    await new Promise<void>((resolve) => {
      if (socket.io.engine.transport.name === 'websocket') return resolve();
      socket.io.engine.once('upgrade', () => resolve());
      setTimeout(resolve, 3000);
    });
    const nodes = new Set<string>();
    for (let i = 0; i < MESSAGES; i++) {
      const ack = await socket.timeout(3000).emitWithAck('echo', `message ${i}`);
      nodes.add(ack.node);
    }
    return { nodes: [...nodes], transport: socket.io.engine.transport.name, errors };
  } catch (error) {
    return { nodes: [], transport: 'none', errors: [...errors, (error as Error).message] };
  } finally {
    socket.disconnect();
  }
}

function runClients(routerUrl: string): Promise<ClientRun[]> {
  return Promise.all(Array.from({ length: CLIENTS }, () => runClient(routerUrl)));
}

describe('through cobrowse-edge', () => {
  // Every request's log line: the test reads where each one went.
  const cluster = useCluster(IDS, { LOG_REQUESTS: 'all' }, { script: SCRIPT });

  it('every client upgrades to WebSocket on one node, all messages acknowledged, zero unknown sessions', async () => {
    const runs = await runClients(cluster.router.url);
    expect(runs.flatMap((run) => run.errors)).toEqual([]);
    for (const run of runs) {
      expect(run.nodes).toHaveLength(1);
      expect(run.transport).toBe('websocket');
    }
    // The clients were spread over the cluster, and each one's requests all went to its node.
    expect(new Set(runs.flatMap((run) => run.nodes)).size).toBeGreaterThan(1);
    const requests = cluster.router.logs.filter((line) =>
      String(line.path).startsWith('/cobrowse/socket.io/'),
    );
    expect(requests.filter((line) => line.status === 400)).toEqual([]);
    expect(requests.filter((line) => line.webSocket)).toHaveLength(CLIENTS);
  });
});

describe('through a router that ignores the cookie (control)', () => {
  // Same router, but told to read another cookie: every request is balanced on its own.
  const cluster = useCluster(
    IDS,
    { STICKY_COOKIE: 'notTheStickyCookie', LOG_REQUESTS: 'all' },
    { script: SCRIPT },
  );

  it('the same clients meet "Session ID unknown"', async () => {
    const runs = await runClients(cluster.router.url);
    const failed = runs.filter((run) => run.errors.length > 0 || run.nodes.length !== 1);
    console.log(`without stickiness: ${failed.length} of ${CLIENTS} socket.io clients failed`);
    expect(failed.length).toBeGreaterThan(CLIENTS / 2);
    const answers = cluster.router.logs.filter((line) =>
      String(line.path).startsWith('/cobrowse/socket.io/'),
    );
    expect(answers.some((line) => line.status === 400)).toBe(true);
  });
});

describe('a socket.io client whose node is disabled while its WebSocket is open', () => {
  const ADMIN_TOKEN = 'socketio-disable-token-0123456789abc';
  const cluster = useCluster(IDS, { ADMIN_TOKEN }, { script: SCRIPT });

  it('is cut at once (an abrupt close), reconnects by itself and starts a new session on a serving node', async () => {
    const socket = io(cluster.router.url, {
      path: '/cobrowse/socket.io/',
      withCredentials: true,
      transports: ['polling', 'websocket'],
      reconnectionDelay: 100,
      timeout: 5000,
    });
    try {
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      await new Promise<void>((resolve) => {
        if (socket.io.engine.transport.name === 'websocket') return resolve();
        socket.io.engine.once('upgrade', () => resolve());
      });
      const first = await socket.timeout(3000).emitWithAck('echo', 'before');
      const firstId = socket.id;
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const reconnected = new Promise<void>((resolve) => socket.io.once('reconnect', () => resolve()));
      const disabledAt = Date.now();
      const res = await fetch(`${cluster.router.url}/__lb/nodes/${first.node}/disable`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      // The gate cut the socket: no close frame, so socket.io sees its transport close.
      expect(await disconnected).toBe('transport close');
      const cutAfter = Date.now() - disabledAt;
      await reconnected;
      const after = await socket.timeout(3000).emitWithAck('echo', 'after');
      console.log(
        `socket.io: cut ${cutAfter} ms after ${first.node} was disabled, reconnected to ${after.node} as a new session`,
      );
      expect(cutAfter).toBeLessThan(1000);
      expect(after.node).not.toBe(first.node);
      expect(socket.id).not.toBe(firstId);
    } finally {
      socket.disconnect();
    }
  });
});
