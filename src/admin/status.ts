/**
 * The status document: every node as the router sees it, and the effective configuration (no
 * secrets). The JSON API returns it; the status page renders it.
 */

import type { AlertState } from '../board/alerts';
import type { RosterState } from '../board/board-roster';
import type { NodeTraffic, TrafficView } from '../board/traffic';
import type { Config } from '../config/config';
import type { HealthSnapshot, NodeStatus } from '../wire/health-snapshot';
import { atCapacity, servingSince } from '../wire/node-load';
import { slowStartShare } from '../worker/balance';
import { type NodeState, stateOf } from './node-state';

export interface NodeReport extends NodeStatus {
  readonly state: NodeState;
  /** Its open sessions reached its `maxSessions`: new sessions go elsewhere. */
  readonly full: boolean;
  /** Its share of new sessions in slow start (SLOW_START_S), from 0.1 to 1 (1: not slowed). */
  readonly slowStartShare: number;
  /** Its traffic across every isolate (board/traffic.ts); null when the board has none for it. */
  readonly traffic: NodeTraffic | null;
}

/** Config fields the status document leaves out. */
type HiddenConfig =
  | 'nodes'
  | 'nodesById'
  | 'allowedOrigins'
  | 'maxHeaderBytes'
  | 'maxBodyBytes'
  | 'alerts'
  | 'admin';

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
  /** Whether the platform reports WebSocket ends (the gates' tail consumer), since counting began. */
  readonly webSocketEnds: WebSocketEnds;
}

/**
 * What the first deploy tells the operator: are the gates' traces delivered to their tail consumer?
 * `reported`: ends were seen, so the counts are the sockets open now. `not-yet`: sockets opened, none
 * was reported ended: if some have closed, the platform is not delivering the traces, and the gates
 * hold each socket up to an hour (the bound they kept before ends were reported). `no-sockets`: no
 * socket opened since counting began.
 */
export interface WebSocketEnds {
  readonly verdict: 'reported' | 'not-yet' | 'no-sockets';
  readonly opened: number;
  readonly ended: number;
  /** Cut although their node serves: past the backstop with no end reported, or a gate retired. */
  readonly recycled: number;
}

/** The WebSocket-end verdict from every node's totals. */
export function webSocketEnds(traffic: TrafficView): WebSocketEnds {
  const sum = (of: (totals: NodeTraffic['totals']) => number) =>
    traffic.nodes.reduce((total, node) => total + of(node.totals), 0);
  const opened = sum((totals) => totals.webSocketsOpened);
  const ended = sum((totals) => totals.webSocketsEnded);
  const recycled = sum((totals) => totals.webSocketsRecycled);
  const verdict = ended > 0 ? 'reported' : opened > 0 ? 'not-yet' : 'no-sockets';
  return { verdict, opened, ended, recycled };
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
    admin: _admin,
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
    webSocketEnds: webSocketEnds(traffic),
  };
}
