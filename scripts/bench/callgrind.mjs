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
 * `BENCH_WARM_UP=200` reproduces the earlier figures.
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
 * Starts `worker` in Miniflare with workerd under callgrind, sends `requests` sequential GETs of
 * `path` after a warm-up, and returns the process's work per request ({@link perRequest}).
 */
export async function workPerRequest(worker, { path, requests, headers = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'cobrowse-bench-callgrind-'));
  const previous = process.env.MINIFLARE_WORKERD_PATH;
  process.env.MINIFLARE_WORKERD_PATH = callgrindWrapper(dir, WORKERD);
  let target;
  try {
    target = await startMiniflare(worker);
  } finally {
    if (previous === undefined) delete process.env.MINIFLARE_WORKERD_PATH;
    else process.env.MINIFLARE_WORKERD_PATH = previous;
  }
  try {
    // No compression, as with wrk: Node's fetch asks for gzip by default, and Miniflare's entry
    // worker then gzips JSON answers, which would be counted as the Worker's work.
    const plain = { 'accept-encoding': 'identity', ...headers };
    const send = async (count) => {
      for (let i = 0; i < count; i++) {
        const response = await fetch(target.url + path, { headers: plain });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${path} answered ${response.status} under callgrind`);
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
