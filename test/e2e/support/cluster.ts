/** Demo Co-browse nodes as real child processes, and the router in front of them, for the tests. */
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startDemoCluster } from '../../../scripts/demo-cluster.mjs';
import { type RunningRouter, startRouter } from './router';

export interface DemoNode {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface Cluster<Router extends RunningRouter = RunningRouter> {
  /** The nodes, in the order of their ids; a test may replace one it restarted. */
  nodes: DemoNode[];
  router: Router;
  node(id: string): DemoNode;
}

/** Starts one node process per id: the demo node, or the node program `script` (a test peer). */
export async function startNodes(ids: readonly string[], script?: string): Promise<DemoNode[]> {
  return startDemoCluster(ids.map((id) => (script ? { id, script } : { id })));
}

export interface ClusterOptions<Router extends RunningRouter> {
  /** Fresh nodes and router for the whole file (default) or for each test. */
  readonly per?: 'file' | 'test';
  /** Node program to run instead of scripts/demo-node.mjs. */
  readonly script?: string;
  /**
   * Starts the router in front of the nodes, with `vars` added to its config. Default: the Worker from
   * wrangler.toml (router.ts), each node reached by its URL.
   */
  readonly start?: (nodes: readonly DemoNode[], vars: Record<string, unknown>) => Promise<Router>;
}

const startPublicRouter = (nodes: readonly DemoNode[], vars: Record<string, unknown>) =>
  startRouter({ NODES: rosterOf(nodes), ...vars });

/** The roster to give the router for these nodes. */
export function rosterOf(nodes: readonly DemoNode[]): { id: string; url: string }[] {
  return nodes.map(({ id, url }) => ({ id, url }));
}

/**
 * Starts demo nodes with these ids and a router in front of them (with `vars` added to its config)
 * before the file's tests, or before each test, and stops them all afterwards.
 */
export function useCluster<Router extends RunningRouter = RunningRouter>(
  ids: readonly string[],
  vars: Record<string, unknown> = {},
  { per = 'file', script, start }: ClusterOptions<Router> = {},
): Cluster<Router> {
  const startRouterFor = start ?? (startPublicRouter as unknown as NonNullable<typeof start>);
  const cluster = {
    nodes: [] as DemoNode[],
    router: undefined as unknown as Router,
    node(id: string) {
      const found = cluster.nodes.find((candidate) => candidate.id === id);
      if (!found) throw new Error(`no node ${id}`);
      return found;
    },
  };
  const [before, after] = per === 'file' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  before(async () => {
    cluster.nodes = await startNodes(ids, script);
    cluster.router = await startRouterFor(cluster.nodes, vars);
  });
  after(async () => {
    await cluster.router?.stop();
    await Promise.all(cluster.nodes.map((node) => node.stop()));
  });
  return cluster;
}

/**
 * The tests' admin host: `localhost`, another host (and another site, to a browser) of the same local
 * router, whose visitors use `127.0.0.1`. A test that sets `ADMIN_HOST: TEST_ADMIN_HOST` reaches /__lb
 * at {@link adminOrigin}.
 */
export const TEST_ADMIN_HOST = 'localhost';

/** The router's origin on the tests' admin host. */
export function adminOrigin(router: RunningRouter): string {
  return router.url.replace('127.0.0.1', TEST_ADMIN_HOST);
}
