/**
 * WebSockets are piped natively: what a peer sends faster than the other side reads stays in the
 * kernel's buffers and the sender is slowed (TCP flow control, end to end), never queued in the
 * router. Measured with a slow reader, not only a fast one: a client flooding a node that stopped
 * reading its socket, and DOM-snapshot-sized bursts, while another session's echoes keep their time.
 */
import { expect, it } from 'vitest';
import { openSocket, type RecordedSocket } from './support/clients';
import { useCluster } from './support/cluster';
import { routerMemoryMiB } from './support/process-memory';
import { sleep } from './support/traffic';

const cluster = useCluster(['CB_Server_1', 'CB_Server_2']);
const socketTo = (node: string) =>
  openSocket(`${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`, {
    cookie: `gcbSessionServer=.${node}`,
  });
const MiB = 1024 * 1024;

/** Echo round trips of a small message every `everyMs` until `stop` resolves; their times in ms. */
async function bystander(socket: RecordedSocket, everyMs: number, stop: Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  let done = false;
  stop.then(() => (done = true));
  for (let i = 0; !done; i++) {
    const sent = Date.now();
    socket.socket.send(`ping ${i}`);
    await socket.next();
    times.push(Date.now() - sent);
    await sleep(everyMs);
  }
  return times;
}

const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1] ?? 0;

it('a client flooding a node that stopped reading: the router stays within 64 MiB of idle, another session keeps its pace', async () => {
  const flooder = await socketTo('CB_Server_1');
  await flooder.next();
  const other = await socketTo('CB_Server_2');
  await other.next();
  flooder.socket.send('stall');
  await sleep(500);
  const idle = routerMemoryMiB();
  let sent = 0;
  const flood = new Promise<void>((resolve) => {
    const started = Date.now();
    const message = Buffer.alloc(MiB, 7);
    const next = () => {
      if (Date.now() - started >= 10_000) return resolve();
      flooder.socket.send(message, { binary: true }, () => {
        sent++;
        next();
      });
    };
    next();
    // Stalled sends never call back: the flood ends at 10 s whatever happened.
    setTimeout(resolve, 10_000);
  });
  const echoes = bystander(other, 20, flood);
  await flood;
  const grown = routerMemoryMiB() - idle;
  const times = await echoes;
  console.log(
    `stalled node flood: ${sent} MiB accepted from the client in 10 s, router memory +${grown.toFixed(1)} MiB ` +
      `(idle ${idle.toFixed(0)} MiB); bystander ${times.length} echoes, p99 ${p99(times)} ms`,
  );
  // Backpressure: the client could hand over only what the buffers on the way hold.
  expect(sent).toBeLessThan(64);
  expect(grown).toBeLessThan(64);
  expect(times.length).toBeGreaterThan(100);
  expect(p99(times)).toBeLessThanOrEqual(250);
  flooder.socket.terminate();
  other.socket.close();
});

it('eight 10 MiB echoes at once, three rounds: the router grows by 64 MiB at most', async () => {
  const sockets = await Promise.all(
    Array.from({ length: 8 }, (_, i) => socketTo(`CB_Server_${(i % 2) + 1}`)),
  );
  await Promise.all(sockets.map((socket) => socket.next()));
  const before = routerMemoryMiB();
  let peak = before;
  const watch = setInterval(() => (peak = Math.max(peak, routerMemoryMiB())), 50);
  for (let round = 0; round < 3; round++) {
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve, reject) => {
            const payload = Buffer.alloc(10 * MiB, round);
            socket.socket.once('message', (data: Buffer) =>
              data.length === payload.length ? resolve() : reject(new Error(`echo of ${data.length} bytes`)),
            );
            socket.socket.send(payload, { binary: true });
          }),
      ),
    );
  }
  clearInterval(watch);
  const after = routerMemoryMiB();
  console.log(
    `8 x 10 MiB echoes, 3 rounds: router memory +${(peak - before).toFixed(1)} MiB at peak, +${(after - before).toFixed(1)} MiB after`,
  );
  expect(peak - before).toBeLessThanOrEqual(64);
  for (const socket of sockets) socket.socket.close();
});
