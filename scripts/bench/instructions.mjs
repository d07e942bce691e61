/**
 * Instructions per request of a Worker's workerd process, counted by valgrind's callgrind. Unlike
 * requests per second or CPU time, the count does not depend on what else the machine is doing: the
 * same build and traffic give the same figure to about 1 %. It leaves out what no instruction count
 * sees: the kernel's share (loopback TCP, a wake-up for every log line Miniflare reads) and cache and
 * TLB misses, so it complements the timed runs, it does not replace them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMiniflare } from './targets.mjs';

/** Requests before counting: the JIT has settled and connection pools are open by then. */
const WARM_UP_REQUESTS = 200;

/** workerd as Miniflare would start it, but under callgrind, writing its counts into `dir`. */
function callgrindWrapper(dir, workerd) {
  const path = join(dir, 'workerd-under-callgrind.sh');
  writeFileSync(
    path,
    `#!/bin/sh
# --smc-check: V8 writes and rewrites machine code at run time.
exec valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=${dir}/callgrind.out.%p \\
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

/** Total instructions (Ir) in the newest dump of `pid`. */
function dumpedInstructions(dir, pid) {
  const dumps = readdirSync(dir)
    .filter((name) => name.startsWith(`callgrind.out.${pid}.`))
    .sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
  const text = readFileSync(join(dir, dumps.at(-1)), 'utf8');
  const total = /^(?:summary|totals):\s+(\d+)/m.exec(text)?.[1];
  if (!total) throw new Error(`no instruction total in ${dumps.at(-1)}`);
  return Number(total);
}

/**
 * Starts `worker` in Miniflare with workerd under callgrind, sends `requests` sequential GETs of
 * `path` after a warm-up, and returns the instructions the process executed per request.
 */
export async function instructionsPerRequest(worker, { path, requests, headers = {} }) {
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
    return dumpedInstructions(dir, pid) / requests;
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
