/**
 * The router's memory as the operating system sees it: the resident set of every workerd process this
 * test process started (wrangler's unstable_startWorker runs the Worker, its Durable Objects and its
 * dev proxy in workerd children of the test process), whatever else runs on the machine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** PIDs of the workerd processes below `root` in the process tree. */
function workerdBelow(root: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of rows)
    children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(pid)]);
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (rows.find(([p]) => Number(p) === child)?.[2]?.startsWith('workerd')) found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/** MiB resident in this process's workerd children now. */
export function routerMemoryMiB(): number {
  let kib = 0;
  for (const pid of workerdBelow(process.pid)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone meanwhile.
    }
  }
  return kib / 1024;
}
