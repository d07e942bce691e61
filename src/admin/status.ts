/**
 * The status document: every node as the router sees it, and the effective configuration (no
 * secrets). The JSON API returns it; the status page renders it.
 */
import type { Config } from '../config/config';
import type { RosterState } from '../health/board-roster';
import type { HealthSnapshot, NodeStatus } from '../health/health-snapshot';
import { atCapacity, servingSince } from '../health/node-load';
import { type NodeState, stateOf } from '../health/node-state';
import { slowStartShare } from '../proxy/balance';
import type { AlertState } from '../telemetry/alerts';
import type { NodeTraffic, TrafficView } from '../telemetry/traffic';

export interface NodeReport extends NodeStatus {
  readonly state: NodeState;
  /** Its open sessions reached its `maxSessions`: new sessions go elsewhere. */
  readonly full: boolean;
  /** Its share of new sessions in slow start (SLOW_START_S), from 0.1 to 1 (1: not slowed). */
  readonly slowStartShare: number;
  /** Its traffic across every isolate (telemetry/traffic.ts); null when the board has none for it. */
  readonly traffic: NodeTraffic | null;
}

/** Config fields the status document leaves out. */
type HiddenConfig = 'nodes' | 'nodesById' | 'allowedOrigins' | 'maxHeaderBytes' | 'maxBodyBytes' | 'alerts';

export interface StatusReport {
  readonly takenAt: number;
  /** Epoch ms since which traffic is counted, and the width of one history bucket. */
  readonly counting: { readonly since: number; readonly bucketMs: number; readonly handOvers: number };
  readonly nodes: readonly NodeReport[];
  /** The effective configuration, less the roster (each node is in `nodes`) and the admission limits. */
  readonly config: Omit<Config, HiddenConfig | 'locationHint'> & { readonly locationHint: string | null };
  /** Calls the health board has served since it started. */
  readonly healthBoardCalls: number;
  /** The roster's runtime changes: removals waiting for quiet, and the last changes (who, when, what). */
  readonly roster: RosterState;
  /** The alert webhook: set or not (never its URL or secret), alerts waiting, the last deliveries. */
  readonly alerts: AlertState;
}

export function statusReport(
  snapshot: HealthSnapshot,
  traffic: TrafficView,
  roster: RosterState,
  alerts: AlertState,
  config: Config,
): StatusReport {
  const {
    nodes: _roster,
    nodesById: _byId,
    allowedOrigins: _origins,
    maxHeaderBytes: _head,
    maxBodyBytes: _body,
    alerts: _alerts,
    ...shown
  } = config;
  const byId = new Map(traffic.nodes.map((node) => [node.id, node]));
  return {
    takenAt: snapshot.takenAt,
    counting: { since: traffic.since, bucketMs: traffic.bucketMs, handOvers: traffic.handOvers },
    nodes: snapshot.nodes.map((node) => ({
      ...node,
      state: stateOf(node),
      full: atCapacity(node.openSessions ?? 0, node.maxSessions),
      slowStartShare: slowStartShare(servingSince(node), snapshot.takenAt, config.balance.slowStartMs),
      traffic: byId.get(node.id) ?? null,
    })),
    config: { ...shown, locationHint: shown.locationHint ?? null },
    healthBoardCalls: snapshot.calls,
    roster,
    alerts,
  };
}
