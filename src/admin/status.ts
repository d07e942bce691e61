/**
 * The status document: every node as the router sees it, and the effective configuration (no
 * secrets). The JSON API returns it; the status page renders it.
 */
import type { Config } from '../config/config';
import type { HealthSnapshot, NodeStatus } from '../health/board';

/** One word per node for people: what routing does with it now. */
export type NodeState = 'up' | 'down' | 'draining' | 'disabled';

export interface NodeReport extends NodeStatus {
  readonly state: NodeState;
}

export interface StatusReport {
  readonly takenAt: number;
  readonly nodes: readonly NodeReport[];
  readonly config: {
    readonly stickyCookie: string;
    readonly stickyParam: string;
    readonly pathPrefix: string;
    readonly connectTimeoutMs: number;
    readonly health: Config['health'];
    readonly logRequests: Config['logRequests'];
    readonly replayBodyBytes: number;
  };
  /** Calls the health board has served since it started. */
  readonly healthBoardCalls: number;
}

export function stateOf(node: NodeStatus): NodeState {
  if (node.mode === 'disabled') return 'disabled';
  if (!node.up) return 'down';
  return node.mode === 'draining' ? 'draining' : 'up';
}

export function statusReport(snapshot: HealthSnapshot, config: Config): StatusReport {
  const { stickyCookie, stickyParam, pathPrefix, connectTimeoutMs, health, logRequests, replayBodyBytes } =
    config;
  return {
    takenAt: snapshot.takenAt,
    nodes: snapshot.nodes.map((node) => ({ ...node, state: stateOf(node) })),
    config: {
      stickyCookie,
      stickyParam,
      pathPrefix,
      connectTimeoutMs,
      health,
      logRequests,
      replayBodyBytes,
    },
    healthBoardCalls: snapshot.calls,
  };
}
