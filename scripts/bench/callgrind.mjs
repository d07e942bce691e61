/**
 * The work per request of a Worker's workerd process, counted by valgrind's callgrind: instructions,
 * and the first-level cache misses and branch mispredictions of a simulated CPU with this machine's
 * caches. Unlike requests per second or CPU time, the counts do not depend on what else the machine
 * is doing: the same build and traffic give the same figures to about 1.5 %. They leave out the
 * kernel's share (loopback TCP, a wake-up for every log line Miniflare reads) and TLB misses, so they
 * complement the timed runs, they do not replace them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMiniflare } from './targets.mjs';

/**
 * Requests before counting (BENCH_WARM_UP, default 2,000): by then V8 has compiled the Worker's hot
 * code with its optimizing tiers and connection pools are open, so what is counted is a request's
 * work in an isolate that has been serving a while, as nearly every request at scale is.
 *
 * After only 200 (the count before issue 21), the router's code was still being compiled during the
 * counted window: callgrind charged 118,000 cycles per request to V8's background compiler threads
 * (MaglevCompiler::Compile) against 48,000 for the pass-through, and the JavaScript still ran in the
 * baseline tier. That is once per isolate, not per request; it made the router's figure 5-6 % higher
 * and swing with the compiler's timing (BENCHMARKS.md "Where the remaining work goes").
 * `BENCH_WARM_UP=200 BENCH_INSTRUCTION_REQUESTS=400` gives the earlier warm-up and window.
 */
const WARM_UP_REQUESTS = Number(process.env.BENCH_WARM_UP ?? 2000);

/**
 * Cycles charged per simulated miss in the estimate of {@link perRequest}: a first-level miss served from the
 * second level, and a mispredicted branch's pipeline flush, on a current x86 core.
 */
const L1_MISS_CYCLES = 12;
const MISPREDICTION_CYCLES = 15;

/** workerd as Miniflare would start it, but under callgrind, writing its counts into `dir`. */
function callgrindWrapper(dir, workerd) {
  const path = join(dir, 'workerd-under-callgrind.sh');
  writeFileSync(
    path,
    `#!/bin/sh
# --smc-check: V8 writes and rewrites machine code at run time.
exec valgrind --tool=callgrind --smc-check=all-non-file --cache-sim=yes --branch-sim=yes --callgrind-out-file=${dir}/callgrind.out.%p \\
  ${workerd} "$@" 2>>${dir}/valgrind.log
`,
  );
  chmodSync(path, 0o755);
  return path;
}

/**
 * V8 runs on the main thread only under the count. With its background threads, V8 compiles hot
 * code and collects garbage concurrently, and valgrind runs one thread at a time in an order the host's
 * scheduler decides: one build counted 1.16x the pass-through while another process ran beside it and
 * 1.23-1.24x alone, over 1,600 requests each, because its code reached V8's optimizing tiers at
 * different points (the slower counts still ran part of the JavaScript in the interpreter). With
 * `--single-threaded` the same work is done at the same points: two runs side by side, and one alone,
 * agree within 0.1 % (BENCHMARKS.md "The count made repeatable"). callgrind counts every thread, so moving
 * that work onto the main thread does not hide any of it.
 */
const V8_FLAGS = '--single-threaded';

/** The path of the workerd binary Miniflare runs (the `workerd` package exports it). */
const WORKERD = createRequire(import.meta.url)('workerd').default;

/** The process callgrind runs: the one that writes the only `callgrind.out.<pid>` file in `dir`. */
function callgrindPid(dir) {
  const outputs = readdirSync(dir).filter((name) => /^callgrind\.out\.\d+$/.test(name));
  if (outputs.length !== 1) throw new Error(`expected one callgrind process, found ${outputs.length}`);
  return Number(outputs[0].split('.').at(-1));
}

/** Event totals (`Ir`, `I1mr`, `Bcm`, ...) in the newest dump of `pid`. */
function dumpedEvents(dir, pid) {
  const dumps = readdirSync(dir)
    .filter((name) => name.startsWith(`callgrind.out.${pid}.`))
    .sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
  const text = readFileSync(join(dir, dumps.at(-1)), 'utf8');
  const names = /^events:\s+(.+)$/m.exec(text)?.[1].split(' ');
  const totals = /^(?:summary|totals):\s+(.+)$/m.exec(text)?.[1].split(' ').map(Number);
  if (!names || !totals) throw new Error(`no event totals in ${dumps.at(-1)}`);
  return Object.fromEntries(names.map((name, index) => [name, totals[index] ?? 0]));
}

/**
 * Per request: instructions, first-level misses (instruction and data), branch mispredictions, and
 * an estimate of cycles from them. The estimate tracks time better than instructions alone: JSON and
 * `memset` run several instructions per cycle, while code spread over many runtime functions stalls
 * on instruction-cache misses and mispredicted branches.
 */
function perRequest(events, requests) {
  const l1Misses = (events.I1mr + events.D1mr + events.D1mw) / requests;
  const mispredictions = (events.Bcm + events.Bim) / requests;
  const instructions = events.Ir / requests;
  return {
    instructions,
    l1Misses,
    mispredictions,
    estimatedCycles: instructions + L1_MISS_CYCLES * l1Misses + MISPREDICTION_CYCLES * mispredictions,
  };
}

/**
 * Requests counted (BENCH_INSTRUCTION_REQUESTS, default 2,000). Garbage collection comes in lumps: a
 * sticky GET's young-generation collections, and the runtime objects they free, cost from 64,000 to
 * 310,000 instructions per request between consecutive 200-request slices, in a cycle of about 600 requests
 * for the router and the pass-through alike. A count of 400 (before 2026-12-03) caught one or two of
 * those lumps by chance and moved the router's ratio between 1.13x and 1.21x for one build; a count
 * over several cycles charges each request its share (BENCHMARKS.md "The count made repeatable").
 */
export const COUNTED_REQUESTS = Number(process.env.BENCH_INSTRUCTION_REQUESTS ?? 2000);

/**
 * Starts `worker` in Miniflare with workerd under callgrind, sends `requests` sequential requests for
 * `path` after a warm-up (GETs, or POSTs of `body` when given), and returns the process's work per
 * request ({@link perRequest}).
 */
export async function workPerRequest(worker, { path, requests = COUNTED_REQUESTS, headers = {}, body }) {
  const dir = mkdtempSync(join(tmpdir(), 'cobrowse-bench-callgrind-'));
  // Miniflare reads both when it starts workerd.
  const settings = {
    MINIFLARE_WORKERD_PATH: callgrindWrapper(dir, WORKERD),
    MINIFLARE_WORKERD_V8_FLAGS: V8_FLAGS,
  };
  const previous = Object.fromEntries(Object.keys(settings).map((name) => [name, process.env[name]]));
  Object.assign(process.env, settings);
  let target;
  try {
    target = await startMiniflare(worker);
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  try {
    // No compression, as with wrk: Node's fetch asks for gzip by default, and Miniflare's entry
    // worker then gzips JSON answers, which would be counted as the Worker's work.
    const plain = { 'accept-encoding': 'identity', ...headers };
    const init =
      body === undefined
        ? { headers: plain }
        : { method: 'POST', headers: { ...plain, 'content-type': 'application/json' }, body };
    const send = async (count) => {
      for (let i = 0; i < count; i++) {
        const response = await fetch(target.url + path, init);
        await response.arrayBuffer();
        if (!response.ok)
          throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status} under callgrind`);
      }
    };
    await send(WARM_UP_REQUESTS);
    const pid = callgrindPid(dir);
    execFileSync('callgrind_control', ['--zero', String(pid)], { stdio: 'ignore' });
    await send(requests);
    execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
    return perRequest(dumpedEvents(dir, pid), requests);
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
