/**
 * Measurements for the benchmark: HTTP load with wrk, WebSocket round trips with a `ws` client, and
 * the CPU time and memory of a process read from /proc.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const run = promisify(execFile);
const TICKS_PER_SECOND = 100;

/**
 * Core for the proxy under test; the load generator and the origin share the other one, so the
 * proxies are compared on a core of their own instead of fighting wrk for it.
 */
export const PROXY_CORE = 1;
const LOAD_CORE = 0;

/** Moves a process and all its threads to one core. */
export function pinToCore(pid, core) {
  execFileSync('taskset', ['-apc', String(core), String(pid)], { stdio: 'ignore' });
}

/** User + system CPU time of a process, in microseconds. */
export function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

/** Resident memory of a process in MiB: now and at its peak. */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

function toMs(value, unit) {
  return Number(value) * { us: 0.001, ms: 1, s: 1000 }[unit];
}

/** One wrk run: requests/s, p50 and p99 latency (ms), and the proxy's CPU time per request (µs). */
export async function httpLoad(url, { connections, seconds, headers = {}, pid }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  const cpuBefore = pid ? cpuMicros(pid) : 0;
  const { stdout } = await run('taskset', ['-c', String(LOAD_CORE), 'wrk', ...args, url]);
  const cpu = pid ? cpuMicros(pid) - cpuBefore : 0;
  const latency = (percent) => {
    const match = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    return match ? toMs(match[1], match[2]) : Number.NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? '0';
  if (Number(errors) > 0 || /Socket errors/.test(stdout))
    throw new Error(`wrk saw errors against ${url}:\n${stdout}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0),
    p50: latency(50),
    p99: latency(99),
    cpuPerRequestUs: pid && requests ? cpu / requests : Number.NaN,
  };
}

/**
 * Sequential echo round trips over one WebSocket: p50/p99 (ms), messages per second, and the proxy's
 * CPU time per round trip (µs).
 */
export async function webSocketRoundTrips(url, { messages, headers = {}, pid }) {
  const socket = new WebSocket(url, { headers });
  const queue = [];
  let wake;
  socket.on('message', (data) => {
    queue.push(data);
    wake?.();
  });
  const next = async () => {
    while (queue.length === 0) await new Promise((resolve) => (wake = resolve));
    return queue.shift();
  };
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  await next();
  const times = [];
  const cpuBefore = cpuMicros(pid);
  const started = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) {
    const sent = process.hrtime.bigint();
    socket.send(`message ${i}`);
    await next();
    times.push(Number(process.hrtime.bigint() - sent) / 1e6);
  }
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuMicros(pid) - cpuBefore;
  socket.close();
  times.sort((a, b) => a - b);
  const at = (fraction) => times[Math.min(times.length - 1, Math.floor(fraction * times.length))];
  return { p50: at(0.5), p99: at(0.99), perSecond: messages / elapsedS, cpuPerMessageUs: cpu / messages };
}

/** Samples a process's resident memory every 10 ms while `work` runs; resolves with its peak (MiB). */
async function peakRssDuring(pid, work) {
  let peak = memoryMiB(pid).rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, memoryMiB(pid).rss);
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return peak;
}

/** Opens a socket and resolves once the node's greeting has arrived. */
async function greetedSocket(url, headers) {
  const socket = new WebSocket(url, { headers });
  await new Promise((resolve, reject) => {
    socket.once('message', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * `sockets` WebSockets, each echoing one message at a time in a loop, for `seconds`: messages per
 * second (round trips), the round trip's p99 (ms), and the proxy's CPU time per round trip (µs).
 */
export async function webSocketLoad(url, { sockets, seconds, headers = {}, pid }) {
  const opened = await Promise.all(Array.from({ length: sockets }, () => greetedSocket(url, headers)));
  const times = [];
  const cpuBefore = cpuMicros(pid);
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    opened.map(async (socket, index) => {
      for (let i = 0; Date.now() < deadline; i++) {
        const sent = process.hrtime.bigint();
        const echoed = new Promise((resolve) => socket.once('message', resolve));
        socket.send(`socket ${index} message ${i}`);
        await echoed;
        times.push(Number(process.hrtime.bigint() - sent) / 1e6);
      }
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuMicros(pid) - cpuBefore;
  for (const socket of opened) socket.close();
  times.sort((a, b) => a - b);
  return {
    perSecond: times.length / elapsedS,
    p99: times[Math.floor(0.99 * (times.length - 1))],
    cpuPerMessageUs: cpu / times.length,
  };
}

/**
 * `sockets` WebSockets each echoing one binary message of `bytes` at the same time, `rounds` times:
 * the time a round takes (ms), the proxy's CPU time per MB relayed (ms, both directions counted), and
 * its peak resident memory above what it held before (MiB).
 */
export async function bigWebSocketMessages(url, { sockets, bytes, rounds, headers = {}, pid }) {
  const opened = await Promise.all(Array.from({ length: sockets }, () => greetedSocket(url, headers)));
  const payload = Buffer.alloc(bytes, 7);
  const before = memoryMiB(pid).rss;
  const cpuBefore = cpuMicros(pid);
  const started = process.hrtime.bigint();
  const peak = await peakRssDuring(pid, async () => {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        opened.map(async (socket) => {
          const echoed = new Promise((resolve) => socket.once('message', resolve));
          socket.send(payload, { binary: true });
          const data = await echoed;
          if (data.length !== bytes) throw new Error(`echo of ${bytes} bytes came back with ${data.length}`);
        }),
      );
    }
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = cpuMicros(pid) - cpuBefore;
  for (const socket of opened) socket.close();
  const megabytes = (2 * sockets * rounds * bytes) / 2 ** 20;
  return { roundMs: elapsedMs / rounds, cpuPerMbMs: cpu / 1000 / megabytes, peakAboveMiB: peak - before };
}
