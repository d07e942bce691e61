/**
 * What is counted per node, and how a set of counts is laid out: one flat array of numbers per node,
 * so an isolate's tally, a hand-over to the health board and the board's totals are all the same
 * shape, summed index by index.
 */
import type { RouteReason } from './route-reason';

export const REASONS: readonly RouteReason[] = ['sticky', 'url', 'balanced', 'owner-down', 'retry'];
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Why a node failed a request: it answered 502/503/504, sent no headers in time, could not be reached, went down. */
export const FAILURE_KINDS = ['status', 'timeout', 'unreachable', 'node-down'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * How an attempt ended without an answer from the node: one of the failure kinds counted per node
 * (defined once, above), less `status` (the node did answer, 502/503/504):
 * `unreachable` (refused or reset before response headers), `timeout` (no response headers within
 * CONNECT_TIMEOUT_MS while the node still passed its checks), `node-down` (the health board marked the
 * node down, or an operator disabled it, while the request waited).
 */
export type NoAnswer = Exclude<FailureKind, 'status'>;

/** Index of each counter in a node's array. */
export const AT = {
  reason: (reason: RouteReason) => REASONS.indexOf(reason),
  /** Status class of the answer the client got: 0 for 1xx ... 4 for 5xx. */
  status: (status: number) => 5 + Math.min(Math.max(Math.floor(status / 100) - 1, 0), 4),
  failure: (kind: FailureKind) => 10 + FAILURE_KINDS.indexOf(kind),
  /** Answers that set the sticky cookie: sessions the node started. */
  newSessions: 14,
  webSocketsOpened: 15,
  /** Sockets a socket gate cut because their node went down or was disabled. */
  webSocketsEndedByNode: 16,
  /**
   * Requests pinned to this node that went to another node because this one was down or disabled:
   * each ends its session there (a session's long-poll and socket may both count).
   */
  sessionsEnded: 17,
  /**
   * Sockets a socket gate cut although their node serves: held for SOCKET_MAX_AGE_S, or the gate
   * retired after a new version was deployed. Their clients reconnect to the same node.
   */
  webSocketsRecycled: 18,
  /**
   * Sockets the router cannot cut: opened while no socket gate could be reached (piped straight
   * through), or held by a gate that was reset.
   */
  webSocketsUncuttable: 19,
  /** Sockets whose end the gates' tail consumer reported (tail/): closed by either side, or dropped. */
  webSocketsEnded: 20,
} as const;
export const COUNTERS = 21;

/**
 * Absolute values a reporter gives, not deltas: what is open on a node now. A node's open sessions are
 * its held WebSockets and its waiting requests (traffic.ts `openSessionsOf`); a streaming body is open
 * work (watched, cut when its node goes, keeps a drain busy) but no session.
 */
export const GAUGES = 3;
/** WebSockets the socket gates hold (reported by the gates). */
export const HELD_WEBSOCKETS = 0;
/**
 * Requests waiting for the node's response headers: the long-polls it holds (counted once past
 * forward.ts WATCH_AFTER_MS, 250 ms) and WebSocket handshakes waiting for its 101 (reported by Worker
 * isolates).
 */
export const WAITING = 1;
/**
 * Response bodies the node streams to their clients now, however slowly the client reads (reported
 * by Worker isolates). Not a session: 40 unread 50 MB bodies once counted as 40 and filled two nodes.
 */
export const STREAMING = 2;

/** Counts per node id. */
export type NodeCounts = Record<string, number[]>;

/**
 * What an isolate (or a socket gate) hands to the board: counts since its last hand-over, and its
 * gauges now.
 */
export interface TrafficReport {
  /** The isolate or gate, so the board can replace its gauges rather than add them up. */
  readonly isolate: string;
  readonly counts: NodeCounts;
  readonly gauges: NodeCounts;
}

/** The row of `node` in `counts`, created as `width` zeros when missing. */
export function rowOf(counts: NodeCounts, node: string, width: number): number[] {
  let row = counts[node];
  if (!row) {
    row = new Array<number>(width).fill(0);
    counts[node] = row;
  }
  return row;
}

/** Adds `from` into `into`, node by node and index by index. */
export function addCounts(into: NodeCounts, from: NodeCounts, width: number): void {
  for (const [node, values] of Object.entries(from)) {
    const target = rowOf(into, node, width);
    for (let i = 0; i < width; i++) target[i] = (target[i] ?? 0) + (values[i] ?? 0);
  }
}

/** A node's counters by name, as the status JSON, the page and the metrics read them. */
export interface TrafficTotals {
  readonly requests: Readonly<Record<RouteReason, number>>;
  readonly responses: Readonly<Record<(typeof STATUS_CLASSES)[number], number>>;
  readonly failures: Readonly<Record<FailureKind, number>>;
  readonly newSessions: number;
  readonly sessionsEnded: number;
  readonly webSocketsOpened: number;
  readonly webSocketsEndedByNode: number;
  readonly webSocketsRecycled: number;
  readonly webSocketsUncuttable: number;
  readonly webSocketsEnded: number;
}

/** The counters of one row by name. */
export function namedTotals(row: readonly number[]): TrafficTotals {
  const at = (index: number) => row[index] ?? 0;
  const named = <Name extends string>(names: readonly Name[], index: (name: Name) => number) =>
    Object.fromEntries(names.map((name) => [name, at(index(name))])) as Record<Name, number>;
  return {
    requests: named(REASONS, AT.reason),
    responses: named(STATUS_CLASSES, (code) => AT.status(Number(code[0]) * 100)),
    failures: named(FAILURE_KINDS, AT.failure),
    newSessions: at(AT.newSessions),
    sessionsEnded: at(AT.sessionsEnded),
    webSocketsOpened: at(AT.webSocketsOpened),
    webSocketsEndedByNode: at(AT.webSocketsEndedByNode),
    webSocketsRecycled: at(AT.webSocketsRecycled),
    webSocketsUncuttable: at(AT.webSocketsUncuttable),
    webSocketsEnded: at(AT.webSocketsEnded),
  };
}
