/**
 * This isolate's traffic counts, kept in memory on the request path (a few array increments, no I/O)
 * and handed to the health board with a health refresh (health/snapshot.ts): the first refresh after
 * HAND_OVER_MS of counting asks the board rather than the location's shared copy, and carries them.
 * A timer started with the first count of a batch makes sure that refresh happens, so counts reach
 * the board within about HAND_OVER_MS, once per busy isolate, and never one call per request.
 *
 * The gauge (requests in flight) is absolute: every report carries this isolate's
 * current values, and the board counts an isolate's gauges only while it hears from it (an isolate with
 * work open hands over every HAND_OVER_MS, counts or not).
 *
 * What can be lost: the counts of an isolate that dies between two hand-overs (at most HAND_OVER_MS
 * of its traffic), and those of a hand-over the board never received (not sent again: a board that
 * cannot be reached must not make this grow). WebSockets, once open, are the socket gates' to count
 * (proxy/socket-gate.ts): they report to the board themselves.
 */
import { isolateName } from '../health/isolate';
import type { RouteReason } from '../proxy/route-reason';
import {
  AT,
  COUNTERS,
  type FailureKind,
  GAUGES,
  type IN_FLIGHT,
  type NodeCounts,
  rowOf,
  type TrafficReport,
} from './counts';
import { HAND_OVER_MS } from './hand-over';

let counts: NodeCounts = {};
const gauges: NodeCounts = {};
let counted = false;
let scheduled = false;
let handedOverAt = 0;

function countsOf(node: string): number[] {
  counted = true;
  return rowOf(counts, node, COUNTERS);
}

/** A request answered by `node` (or failed there), chosen for `reason`, the client got `status`. */
export function countAnswer(node: string, reason: RouteReason, status: number): void {
  const values = countsOf(node);
  (values[AT.reason(reason)] as number)++;
  (values[AT.status(status)] as number)++;
}

export function countFailure(node: string, kind: FailureKind): void {
  (countsOf(node)[AT.failure(kind)] as number)++;
}

/** One of the counters that are not per request: new sessions, sockets, ended sessions. */
export function countEvent(node: string, at: number): void {
  (countsOf(node)[at] as number)++;
}

/** Work open on `node` in this isolate: +1 when it opens, -1 when it ends. */
export function countOpen(node: string, gauge: typeof IN_FLIGHT, by: 1 | -1): void {
  (rowOf(gauges, node, GAUGES)[gauge] as number) += by;
  // A changed gauge is news for the board too: a drained node's last request ending must show.
  counted = true;
}

/**
 * Does a batch of counts need its hand-over timer? True for the first count after a report: the
 * caller then starts one (health/snapshot.ts) and this stays false until the next report is taken.
 */
export function needsHandOverTimer(): boolean {
  if (!counted || scheduled) return false;
  scheduled = true;
  return true;
}

/**
 * Should the next refresh hand the counts over? True when something was counted (or a gauge changed,
 * or work is open) and the last hand-over is HAND_OVER_MS old.
 */
export function countsDue(now: number): boolean {
  return (counted || workOpen()) && now - handedOverAt >= HAND_OVER_MS;
}

/**
 * Is work open in this isolate? Then its gauges are handed over every HAND_OVER_MS even without new
 * counts, or the board would forget them (GAUGE_TTL_MS) while a request is still open.
 */
function workOpen(): boolean {
  for (const values of Object.values(gauges)) if (values.some((value) => value > 0)) return true;
  return false;
}

/** The counts since the last report and the gauges now; the counts start again from zero. */
export function takeReport(): TrafficReport {
  const report = { isolate: isolateName(), counts, gauges: structuredClone(gauges) };
  counts = {};
  counted = false;
  scheduled = false;
  handedOverAt = Date.now();
  return report;
}
