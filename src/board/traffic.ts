/**
 * The cluster's traffic as the health board keeps it: the isolates' reports summed into totals per
 * node (since the board first counted), into 10-second buckets for the last 15 minutes, and their
 * gauges (WebSockets held by the socket gates, requests waiting for their node's headers, bodies
 * streaming) summed over the isolates and gates heard from recently. Pure functions over a plain state
 * object, which the board stores.
 */
import {
  AT,
  addCounts,
  COUNTERS,
  GAUGES,
  HELD_WEBSOCKETS,
  type NodeCounts,
  namedTotals,
  REASONS,
  STREAMING,
  type TrafficReport,
  type TrafficTotals,
  WAITING,
} from '../wire/counts';
import { GAUGE_TTL_MS } from '../wire/hand-over';

export const BUCKET_MS = 10_000;
/** 15 minutes of buckets: the status page's picture. */
export const BUCKETS = 90;

export interface TrafficState {
  /** Epoch ms of the first count. */
  since: number;
  totals: NodeCounts;
  /** Counts per bucket, by the bucket's start (epoch ms, a multiple of BUCKET_MS). */
  buckets: Record<string, NodeCounts>;
  /** Per node, the last time anything was open or counted on it (epoch ms). */
  lastActive: Record<string, number>;
}

/** Gauges per isolate: kept in the board's memory only (an isolate reports again within a second). */
export type IsolateGauges = Map<string, { at: number; gauges: NodeCounts }>;

export function emptyTraffic(now: number): TrafficState {
  return { since: now, totals: {}, buckets: {}, lastActive: {} };
}

/** Adds one isolate's report at `now`; returns the start of the bucket it went into. */
export function record(
  state: TrafficState,
  isolates: IsolateGauges,
  report: TrafficReport,
  now: number,
): number {
  const bucket = now - (now % BUCKET_MS);
  addCounts(state.totals, report.counts, COUNTERS);
  state.buckets[bucket] ??= {};
  addCounts(state.buckets[bucket], report.counts, COUNTERS);
  for (const start of Object.keys(state.buckets)) {
    if (Number(start) <= bucket - BUCKETS * BUCKET_MS) delete state.buckets[start];
  }
  // Active now: counted, or work open on it now or until now (a socket that just closed).
  const before = isolates.get(report.isolate)?.gauges ?? {};
  isolates.set(report.isolate, { at: now, gauges: report.gauges });
  for (const rows of [report.counts, report.gauges, before]) {
    for (const [node, values] of Object.entries(rows)) {
      if (values.some((value) => value > 0)) state.lastActive[node] = now;
    }
  }
  return bucket;
}

/**
 * A node's open sessions in `gauges` (from {@link currentGauges}): the WebSockets the gates hold and its
 * requests waiting for its response headers (the long-polls it holds). What new sessions are balanced
 * by and capacity is counted in. Bodies streaming to their clients are not sessions: a slow reader
 * holds no session of the node's, and 40 of them must not fill it.
 */
export function openSessionsOf(gauges: NodeCounts, node: string): number {
  return (gauges[node]?.[HELD_WEBSOCKETS] ?? 0) + (gauges[node]?.[WAITING] ?? 0);
}

/** Gauges per node summed over the isolates heard from within GAUGE_TTL_MS; forgets the others. */
export function currentGauges(isolates: IsolateGauges, now: number): NodeCounts {
  const sums: NodeCounts = {};
  for (const [isolate, { at, gauges }] of isolates) {
    if (now - at > GAUGE_TTL_MS) isolates.delete(isolate);
    else addCounts(sums, gauges, GAUGES);
  }
  return sums;
}

/** One node's traffic, as the status page and the metrics show it. */
export interface NodeTraffic {
  readonly id: string;
  /** Every counter since `since`. */
  readonly totals: TrafficTotals;
  /**
   * WebSockets to it that the socket gates hold: those open, each let go when the gates' tail consumer
   * reports its end (where the platform reports none: every socket opened within the last hour and
   * not cut, gate/socket-gate.ts).
   */
  readonly heldWebSockets: number;
  /** Requests open on it now: waiting for its headers, or streaming its body (`waiting + streaming`). */
  readonly inFlight: number;
  /** Requests waiting for its response headers (long-polls it holds): with the sockets, its open sessions. */
  readonly waiting: number;
  /** Its response bodies flowing to their clients now: open work, cut if it goes, but no session. */
  readonly streaming: number;
  /** Requests per second over the last minute. */
  readonly requestsPerSecond: number;
  readonly newSessionsLastMinute: number;
  /** Requests pinned to it (cookie or URL) in the last minute: sessions still in use. */
  readonly pinnedLastMinute: number;
  /** Epoch ms since which nothing was open or counted on it; null while something is. */
  readonly quietSince: number | null;
  /** Per bucket, oldest first, BUCKETS of them: [requests, new sessions, ended sessions, 5xx answers]. */
  readonly history: readonly (readonly number[])[];
}

export interface TrafficView {
  /** Epoch ms of the first count. */
  readonly since: number;
  readonly bucketMs: number;
  readonly nodes: readonly NodeTraffic[];
  /** Board calls that carried an isolate's counts, since the board started (its own count). */
  readonly handOvers: number;
}

const sum = (values: readonly number[], from: number, to: number) => {
  let total = 0;
  for (let i = from; i < to; i++) total += values[i] ?? 0;
  return total;
};
/** The reason counters (indexes 0-4): together, every request once. */
const REQUESTS = [0, REASONS.length] as const;
const at5xx = AT.status(500);

/** The traffic of each of `nodeIds` at `now`; `handOvers` is the board's own count of them. */
export function trafficView(
  state: TrafficState,
  isolates: IsolateGauges,
  nodeIds: readonly string[],
  now: number,
  handOvers = 0,
): TrafficView {
  const gauges = currentGauges(isolates, now);
  const current = now - (now % BUCKET_MS);
  const starts = Array.from({ length: BUCKETS }, (_, i) => current - (BUCKETS - 1 - i) * BUCKET_MS);
  const nodes = nodeIds.map((id): NodeTraffic => {
    const zero = new Array<number>(COUNTERS).fill(0);
    const inBucket = (start: number) => state.buckets[start]?.[id] ?? zero;
    const history = starts.map((start) => {
      const counts = inBucket(start);
      return [
        sum(counts, ...REQUESTS),
        counts[AT.newSessions] ?? 0,
        counts[AT.sessionsEnded] ?? 0,
        counts[at5xx] ?? 0,
      ];
    });
    // The last minute: the five buckets before the current one, and the current one so far.
    const lastMinute = starts.slice(-6).map(inBucket);
    const seconds = (now - (current - 5 * BUCKET_MS)) / 1000;
    const requests = lastMinute.reduce((total, counts) => total + sum(counts, ...REQUESTS), 0);
    const heldWebSockets = gauges[id]?.[HELD_WEBSOCKETS] ?? 0;
    const waiting = gauges[id]?.[WAITING] ?? 0;
    const streaming = gauges[id]?.[STREAMING] ?? 0;
    const inFlight = waiting + streaming;
    // Quiet means nothing open at all: a streaming body would be cut by a restart too.
    const open = heldWebSockets > 0 || inFlight > 0;
    const lastActive = state.lastActive[id];
    return {
      id,
      totals: namedTotals(state.totals[id] ?? zero),
      heldWebSockets,
      inFlight,
      waiting,
      streaming,
      requestsPerSecond: Math.round((requests / seconds) * 100) / 100,
      newSessionsLastMinute: lastMinute.reduce((total, counts) => total + (counts[AT.newSessions] ?? 0), 0),
      pinnedLastMinute: lastMinute.reduce(
        (total, counts) => total + (counts[AT.reason('sticky')] ?? 0) + (counts[AT.reason('url')] ?? 0),
        0,
      ),
      quietSince: open ? null : (lastActive ?? state.since),
      history,
    };
  });
  return { since: state.since, bucketMs: BUCKET_MS, nodes, handOvers };
}
