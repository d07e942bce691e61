/**
 * This isolate's traffic counts (one Tally, owned by the isolate: src/worker/isolate.ts), kept in memory on the request path (a few array increments, no I/O)
 * and handed to the health board with a health refresh (worker/health-copy.ts): the first refresh after
 * HAND_OVER_MS of counting asks the board rather than the location's shared copy, and carries them.
 * A timer started with the first count of a batch makes sure that refresh happens, so counts reach
 * the board within about HAND_OVER_MS, once per busy isolate, and never one call per request.
 *
 * The gauges are absolute: every report carries this isolate's current values, and the board counts
 * an isolate's gauges only while it hears from it (an isolate with work open hands over every
 * HAND_OVER_MS, counts or not). Two of them: requests waiting for their node's response headers
 * (WAITING: with the gates' sockets, the node's open sessions) and response bodies streaming to their
 * clients (STREAMING: open work, not a session). A piece of work moves from the first to the second
 * when its headers arrive ({@link Lease.streams}): one field written, the same cost as before.
 *
 * What can be lost: the counts of an isolate that dies between two hand-overs (at most HAND_OVER_MS
 * of its traffic), and those of a hand-over the board never received (not sent again: a board that
 * cannot be reached must not make this grow). WebSockets, once open, are the socket gates' to count
 * (proxy/socket-gate.ts): they report to the board themselves.
 */

import {
  AT,
  COUNTERS,
  type FailureKind,
  GAUGES,
  type NodeCounts,
  rowOf,
  STREAMING,
  type TrafficReport,
  WAITING,
} from '../wire/counts';
import { HAND_OVER_MS } from '../wire/hand-over';
import type { RouteReason } from '../wire/route-reason';

/** No work open: one shared empty value, so asking costs nothing. */
const EMPTY: NodeCounts = Object.freeze({}) as NodeCounts;

/** Where open work is: waiting for its node's response headers, or streaming its response body. */
export type WorkPhase = 'waiting' | 'streaming';

/**
 * A piece of work counted in a gauge (WAITING, then STREAMING) until it ends, or until it was not
 * renewed for its time to live. Why a lease and not +1/-1: when a client leaves, the platform may
 * cancel the invocation, and then no code after an `await` runs (no -1); the work's own timer (its
 * watch) renews the lease while it lives, and stops with it.
 */
export interface Lease {
  /** The work is still open: it counts for another time to live. */
  renew(): void;
  /**
   * The node's response headers arrived and its body flows: from now on the work counts as streaming,
   * no longer as waiting (so no longer as an open session of its node).
   */
  streams(): void;
  /** The work ended. */
  end(): void;
}

/** One piece of open work: a class, not closures, since every long-poll and stream opens one. */
class OpenWork implements Lease {
  until: number;

  constructor(
    private readonly open: Set<OpenWork>,
    readonly node: string,
    /** The gauge it counts in: WAITING or STREAMING. */
    public gauge: number,
    private readonly ttlMs: number,
    private readonly changed: () => void,
  ) {
    this.until = Date.now() + ttlMs;
    open.add(this);
  }

  renew(): void {
    this.until = Date.now() + this.ttlMs;
  }

  streams(): void {
    // Work stays open: the board hears of the move with its next hand-over, within HAND_OVER_MS.
    this.gauge = STREAMING;
  }

  end(): void {
    if (this.open.delete(this)) this.changed();
  }
}

export class Tally {
  private counts: NodeCounts = {};
  /** Work open now, each until it ends or its lease runs out (see {@link Lease}). */
  private readonly open = new Set<OpenWork>();
  private counted = false;
  private scheduled = false;
  private handedOverAt = 0;

  /** `name`: the isolate's name, for the board to tell its reports apart. */
  constructor(private readonly name: () => string) {}

  /** Command: a request answered by `node` (or failed there), chosen for `reason`; the client got `status`. */
  countAnswer(node: string, reason: RouteReason, status: number): void {
    const values = this.countsOf(node);
    (values[AT.reason(reason)] as number)++;
    (values[AT.status(status)] as number)++;
  }

  /** Command: a failure of `node`. */
  countFailure(node: string, kind: FailureKind): void {
    (this.countsOf(node)[AT.failure(kind)] as number)++;
  }

  /** Command: one of the counters that are not per request (new sessions, sockets, ended sessions). */
  countEvent(node: string, at: number): void {
    (this.countsOf(node)[at] as number)++;
  }

  /**
   * Command: work opens on `node` in `phase` (a request waiting for headers, a handshake, or a body
   * that streams at once); it counts until the lease ends, or `ttlMs` after it was opened or last
   * renewed.
   */
  openWork(node: string, ttlMs: number, phase: WorkPhase = 'waiting'): Lease {
    // A changed gauge is news for the board too: a drained node's last request ending must show.
    this.counted = true;
    const gauge = phase === 'waiting' ? WAITING : STREAMING;
    return new OpenWork(this.open, node, gauge, ttlMs, this.gaugeChanged);
  }

  private readonly gaugeChanged = () => {
    this.counted = true;
  };

  /**
   * Command and answer: does a batch of counts, or open work, need its hand-over timer? True for the
   * first count after a report, or while work is open (the caller then starts one), and false until
   * the next report is taken. Open work's watches ask every tick (worker/in-flight.ts): their gauges
   * must reach the board even when no refresh of theirs comes due to carry them.
   */
  claimHandOverTimer(): boolean {
    if (this.scheduled || !(this.counted || this.open.size > 0)) return false;
    this.scheduled = true;
    return true;
  }

  /**
   * Query: should the next refresh hand the counts over? True when something was counted (or a gauge
   * changed, or work is open) and the last hand-over is HAND_OVER_MS old.
   */
  countsDue(now: number): boolean {
    return (this.counted || this.workOpen()) && now - this.handedOverAt >= HAND_OVER_MS;
  }

  /** Command: the counts since the last report and the gauges now; the counts start again from zero. */
  takeReport(): TrafficReport {
    const report = { isolate: this.name(), counts: this.counts, gauges: this.gauges(Date.now()) };
    this.counts = {};
    this.counted = false;
    this.scheduled = false;
    this.handedOverAt = Date.now();
    return report;
  }

  /**
   * Is work open in this isolate? Then its gauges are handed over every HAND_OVER_MS even without new
   * counts, or the board would forget them (GAUGE_TTL_MS) while a request is still open.
   */
  private workOpen(): boolean {
    return this.gauges(Date.now()) !== EMPTY;
  }

  /** The gauges of open work per node now (WAITING, STREAMING); work whose lease ran out is forgotten. */
  private gauges(now: number): NodeCounts {
    let gauges = EMPTY;
    for (const work of this.open) {
      if (work.until < now) {
        this.open.delete(work);
        continue;
      }
      if (gauges === EMPTY) gauges = {};
      (rowOf(gauges, work.node, GAUGES)[work.gauge] as number)++;
    }
    return gauges;
  }

  private countsOf(node: string): number[] {
    this.counted = true;
    return rowOf(this.counts, node, COUNTERS);
  }
}
