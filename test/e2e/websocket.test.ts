import { expect, it } from 'vitest';
import { openSocket } from './clients';
import { useCluster } from './cluster';

// A header limit far below the socket's life: the limit must not cut an open socket.
const CONNECT_TIMEOUT_MS = 300;
const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], { CONNECT_TIMEOUT_MS });

const socketUrl = () => `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`;
const pinned = { cookie: 'gcbSessionServer=.CB_Server_2' };

it('carries text and binary messages both ways', async () => {
  const ws = await openSocket(socketUrl(), pinned);
  expect(JSON.parse(await ws.next())).toMatchObject({ node: 'CB_Server_2', state: 'connected' });
  for (let i = 0; i < 20; i++) {
    ws.socket.send(`message ${i}`);
    expect(JSON.parse(await ws.next())).toEqual({ node: 'CB_Server_2', echo: `message ${i}` });
  }
  const binary = Buffer.from([0, 1, 2, 255, 254]);
  ws.socket.send(binary);
  expect(Buffer.from(await ws.next(), 'binary')).toHaveLength(5);
  ws.socket.close(1000);
  expect((await ws.closed).code).toBe(1000);
});

it('stays open far beyond the header limit', async () => {
  const ws = await openSocket(socketUrl(), pinned);
  await ws.next();
  await new Promise((resolve) => setTimeout(resolve, CONNECT_TIMEOUT_MS * 4));
  ws.socket.send('still there');
  expect(JSON.parse(await ws.next())).toMatchObject({ echo: 'still there' });
  ws.socket.close();
});

it('passes a close code from the node to the client', async () => {
  const ws = await openSocket(socketUrl(), pinned);
  await ws.next();
  ws.socket.send('close 4001 node says bye');
  expect(await ws.closed).toEqual({ code: 4001, reason: 'node says bye' });
});

it('passes a close code from the client to the node', async () => {
  const ws = await openSocket(socketUrl(), pinned);
  await ws.next();
  ws.socket.close(4002, 'client says bye');
  // The close handshake completes only when the node answers it, echoing the code back.
  expect(await ws.closed).toEqual({ code: 4002, reason: 'client says bye' });
});

it('logs the handshake as a WebSocket request', async () => {
  const before = cluster.router.logs.length;
  const ws = await openSocket(socketUrl(), pinned);
  await ws.next();
  ws.socket.close();
  await expect.poll(() => cluster.router.logs.length).toBeGreaterThan(before);
  expect(cluster.router.logs[before]).toMatchObject({
    webSocket: true,
    status: 101,
    node: 'CB_Server_2',
    reason: 'sticky',
  });
});
