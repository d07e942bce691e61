/** Demo Co-browse nodes as real child processes, typed for the tests. */
import type { ChildProcess } from 'node:child_process';
import { startDemoCluster } from '../../scripts/demo-cluster.mjs';

export interface DemoNode {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function startNodes(ids: readonly string[]): Promise<DemoNode[]> {
  return startDemoCluster(ids.map((id) => ({ id })));
}

/** The roster to give the router for these nodes. */
export function rosterOf(nodes: readonly DemoNode[]): { id: string; url: string }[] {
  return nodes.map(({ id, url }) => ({ id, url }));
}
