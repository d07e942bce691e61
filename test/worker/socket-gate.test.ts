/**
 * A socket gate with real sockets to a real node (the `ok` demo node), its real alarm and storage,
 * and the real health board (the router's script beside it): what it does when a newer version is deployed, and when it is reset
 * while it holds sockets.
 */
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { expect, it } from 'vitest';
import type { SocketGate } from '../../src/gate/socket-gate';
import { AT } from '../../src/wire/counts';
import { GATE_NODE_HEADER, GATE_ORIGIN } from '../../src/wire/gate-protocol';

/** The gates' own namespace: in this project the gates' script is the main one (wrangler.gates.toml). */
const { GATES } = env as unknown as { GATES: DurableObjectNamespace<SocketGate> };

/** What a test reads of a gate's private state. */
interface GateInside {
  retirement: { lastHandshakeAt: number; retiring?: { since: number; held: number } };
  counts: Record<string, number[]>;
}

/** Opens a socket to the `ok` node through `gate`; resolves with the client's end, accepted. */
async function openThrough(
  gate: DurableObjectStub<SocketGate>,
): Promise<{ socket: WebSocket; closed: Promise<void> }> {
  const res = await gate.fetch(`${GATE_ORIGIN}/cobrowse/ws`, {
    headers: { upgrade: 'websocket', connection: 'Upgrade', [GATE_NODE_HEADER]: 'ok' },
  });
  expect(res.status).toBe(101);
  const socket = res.webSocket as WebSocket;
  socket.accept();
  const closed = new Promise<void>((resolve) => {
    socket.addEventListener('close', () => resolve());
    socket.addEventListener('error', () => resolve());
  });
  return { socket, closed };
}

/** Sends `text` on `socket` and resolves with the node's echo of it (earlier messages are skipped). */
const echo = (socket: WebSocket, text: string) =>
  new Promise<string>((resolve) => {
    const listener = (event: MessageEvent) => {
      if (!String(event.data).includes(text)) return;
      socket.removeEventListener('message', listener);
      resolve(String(event.data));
    };
    socket.addEventListener('message', listener);
    socket.send(text);
  });

it('an outdated gate, idle for 30 s, cuts its sockets over the next 30 s (before a deploy resets it)', async () => {
  const gate = GATES.get(GATES.idFromName('gate-test-retire'));
  // One after the other: the oldest is cut first.
  const sockets = [await openThrough(gate), await openThrough(gate)];
  // A gate of a newer version checks in: the board now knows of it.
  await env.HEALTH.get(env.HEALTH.idFromName('health')).gateCheckIn({
    gate: 'newer:0',
    versionAt: Date.now() + 60_000,
    report: { isolate: 'newer:0', counts: {}, gauges: {} },
  });
  // Had its last handshake 31 s ago: the old version is no longer in use.
  await runInDurableObject(gate, (instance) => {
    (instance as unknown as GateInside).retirement.lastHandshakeAt = Date.now() - 31_000;
  });
  expect(await runDurableObjectAlarm(gate)).toBe(true);
  const retiring = await runInDurableObject(
    gate,
    (instance) => (instance as unknown as GateInside).retirement.retiring,
  );
  expect(retiring?.held).toBe(2);
  // Under half the spread has passed: one of the two is cut, the oldest first.
  await runInDurableObject(gate, (instance) => {
    (instance as unknown as GateInside).retirement.retiring = { since: Date.now() - 12_000, held: 2 };
  });
  expect(await runDurableObjectAlarm(gate)).toBe(true);
  await sockets[0]?.closed;
  expect(await echo(sockets[1]?.socket as WebSocket, 'still here')).toContain('"echo":"still here"');
  await runInDurableObject(gate, (instance) => {
    (instance as unknown as GateInside).retirement.retiring = { since: Date.now() - 30_000, held: 2 };
  });
  expect(await runDurableObjectAlarm(gate)).toBe(true);
  await sockets[1]?.closed;
});

it('a gate reset (here evicted) while it holds sockets counts and logs them as uncuttable: they flow on', async () => {
  const gate = GATES.get(GATES.idFromName('gate-test-reset'));
  const { socket } = await openThrough(gate);
  // A tick records what it holds.
  expect(await runDurableObjectAlarm(gate)).toBe(true);
  await evictDurableObject(gate);
  // The next request meets a new instance, which finds what the old one held.
  const counts = await runInDurableObject(gate, (instance) => (instance as unknown as GateInside).counts);
  expect(counts.ok?.[AT.webSocketsUncuttable]).toBe(1);
  // And the socket is indeed still piped: nobody cut it.
  expect(await echo(socket, 'after the reset')).toContain('"echo":"after the reset"');
  socket.close(1000);
});
