/**
 * A CometD cluster (three cometd-nodejs-server nodes; CometD is what Co-browse itself runs on) behind
 * the router, with the CometD JavaScript client over long-polling, each client in its own process
 * with its own cookie jar, like browsers: handshake, /meta/connect cycles, publish and echo, and zero
 * "402::Unknown client" replies.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { useCluster } from './support/cluster';

const SERVER = fileURLToPath(new URL('../peers/cometd-node.mjs', import.meta.url));
const CLIENT = fileURLToPath(new URL('../peers/cometd-client.mjs', import.meta.url));
const CLIENTS = 6;
const MESSAGES = 12;

interface ClientReport {
  clientId: string | null;
  nodes: string[];
  connects: number;
  echoes: number;
  failures: string[];
}

// Every request's log line: the test reads where each one went.
const cluster = useCluster(
  ['CB_Server_1', 'CB_Server_2', 'CB_Server_3'],
  { LOG_REQUESTS: 'all' },
  { script: SERVER },
);

it('each client keeps its whole session on one node: handshake, connect cycles, echoes, no unknown client', async () => {
  const run = promisify(execFile);
  const reports: ClientReport[] = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const { stdout } = await run(process.execPath, [
        CLIENT,
        `${cluster.router.url}/cobrowse/cometd`,
        String(MESSAGES),
      ]);
      return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    }),
  );
  for (const report of reports) {
    expect(report.failures).toEqual([]);
    expect(report.clientId).toEqual(expect.any(String));
    expect(report.echoes).toBe(MESSAGES);
    expect(report.nodes).toHaveLength(1);
    // 12 messages 150 ms apart against a 1 s long-poll hold: several full /meta/connect cycles.
    expect(report.connects).toBeGreaterThanOrEqual(2);
  }
  const requests = cluster.router.logs.filter((line) => String(line.path).startsWith('/cobrowse/cometd'));
  expect(requests.length).toBeGreaterThan(CLIENTS * MESSAGES);
  expect(requests.filter((line) => line.status !== 200)).toEqual([]);
  // Only each client's handshake goes out without a pin; everything after it is sticky.
  expect(requests.filter((line) => line.reason !== 'sticky').map((line) => line.path)).toEqual(
    Array(CLIENTS).fill('/cobrowse/cometd/handshake'),
  );
  console.log(
    `cometd: ${CLIENTS} clients on ${new Set(reports.flatMap((report) => report.nodes)).size} nodes, ` +
      `${reports.reduce((sum, report) => sum + report.connects, 0)} connect cycles, ${requests.length} requests, 0 unknown clients`,
  );
});
