/**
 * The Worker's view of the health board (one HealthCopy, owned by the isolate: src/worker/isolate.ts): a
 * per-isolate copy of its snapshot, so a request never waits on the Durable Object (one object serves
 * about 1,000 requests/s; this router must serve more), shared between the isolates of a location
 * (worker/shared-copy.ts) so the board's calls grow with locations, not isolates. What operators ask
 * of the board goes through admin/board-operations.ts, and this copy adopts the answers.
 *
 * A copy's age is that of its data (now - `takenAt`, the board's time of answering). A copy younger
 * than this isolate's refresh age (FRESH_MS; while it shares with other isolates, an age between
 * FRESH_MS / 2 and FRESH_MS drawn once per isolate) is used as it is. One up to STALE_MS old is still
 * used while a refresh runs in the background: under steady traffic copies never get older than
 * that, so no request waits. An older copy (an isolate's first request, or the first after an idle
 * spell) is refreshed first, waiting at most COLD_WAIT_MS. A refresh takes the location's shared copy
 * when that is newer and younger than the refresh age, else asks the board and shares its answer.
 * When the board cannot be reached, routing goes on from the last copy, or with every node up.
 *
 * Why the refresh age is drawn: isolates that took the same shared copy would otherwise all find it
 * due at the same instant and all ask the board. With ages spread, the isolate with the lowest one
 * asks, and the others find its answer shared before theirs come due.
 *
 * While work is open on a node (a request waiting, a stream, a WebSocket), that work calls
 * {@link HealthCopy.refreshWhenDue} so the copy stays under FRESH_MS old even without new requests,
 * and every newer copy is handed to the {@link HealthCopy.onNewer} listeners, which end the work of
 * nodes that went away.
 *
 * Passive failure reports go to the board batched per node (worker/failure-reports.ts), and traffic
 * counts (worker/tally.ts) ride on board calls: a refresh asks the board, not the shared
 * copy, when this isolate's counts have waited HAND_OVER_MS.
 */

import { logEvent } from '../lib/log';
import { boardOf } from '../wire/board-stub';
import { HAND_OVER_MS } from '../wire/hand-over';
import type { HealthSnapshot } from '../wire/health-snapshot';
import { FailureReports } from './failure-reports';
import type { SharedCopy } from './shared-copy';
import type { Tally } from './tally';

/**
 * The most a copy may be old before it is refreshed, in any isolate: what learning of a node's going
 * costs on top of detecting it (follows-health.test.ts).
 */
const FRESH_MS = 1000;
const STALE_MS = 2 * FRESH_MS;
const COLD_WAIT_MS = 250;
/** A refresh that takes longer is given up, so a hung board cannot stop this isolate's refreshes. */
const REFRESH_LIMIT_MS = 2000;

/** The one binding this module needs: the health board. */
export type HealthBindings = Pick<Env, 'HEALTH'>;

/** The part of a request's execution context this module needs. */
type Background = Pick<ExecutionContext, 'waitUntil'>;

/** How old a snapshot's data is (never below 0, whatever the clocks say). */
function ageOf(snapshot: HealthSnapshot, now: number): number {
  return Math.max(0, now - snapshot.takenAt);
}

function unreachable(action: string) {
  return (error: unknown) => logEvent('health board unreachable', { action, error: String(error) }, 'error');
}

/** Waits at most `ms` for `promise`; the timer is cleared when the promise wins. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer = 0;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export class HealthCopy {
  /** The newest snapshot this isolate has; changed only by `keep`. */
  private copy: HealthSnapshot | undefined;
  /** The refresh in flight, shared by every request that wants one. */
  private refreshing: Promise<void> | undefined;
  private readonly listeners = new Set<(snapshot: HealthSnapshot) => void>();
  /** This isolate's refresh age while it shares, drawn on first use (not at start-up: no random values). */
  private sharingAgeMs: number | undefined;
  /** Failure reports, batched per node; made on first use (the env comes with a request). */
  private reports: FailureReports | undefined;

  constructor(
    private readonly tally: Tally,
    private readonly shared: SharedCopy,
  ) {}

  /**
   * Query (it may start a refresh): the latest known health, or undefined before the board answered.
   * Waits only when the copy is too old to use ({@link readNow}).
   */
  async read(env: HealthBindings, ctx: Background): Promise<HealthSnapshot | undefined> {
    const usable = this.readNow(env, ctx);
    if (usable) return usable;
    await within(this.refresh(env, ctx), COLD_WAIT_MS);
    return this.copy;
  }

  /**
   * Query (it may start a refresh): the copy when it can be used without waiting (up to STALE_MS old;
   * past the refresh age a refresh starts in the background), else undefined: then {@link read}
   * waits for a refresh. Nearly every request is served this way, without an await.
   */
  readNow(env: HealthBindings, ctx: Background): HealthSnapshot | undefined {
    // One clock read per request for both ages.
    const now = Date.now();
    const copyAge = this.age(now);
    if (copyAge > STALE_MS) return undefined;
    if (copyAge > this.refreshAge(now)) this.refresh(env, ctx);
    return this.copy;
  }

  /** Query: the newest snapshot this isolate has, without refreshing it. */
  latest(): HealthSnapshot | undefined {
    return this.copy;
  }

  /** Command: calls `listener` with every newer snapshot this isolate learns, for the isolate's life. */
  onNewer(listener: (snapshot: HealthSnapshot) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Command, for open work: starts a refresh when the copy is at its refresh age (one per isolate,
   * however much work is open), and returns the time until the next one is due, for the caller's timer.
   */
  refreshWhenDue(env: HealthBindings, ctx: Background): number {
    const now = Date.now();
    const dueIn = this.refreshAge(now) - this.age(now);
    if (dueIn > 0) return dueIn;
    this.refresh(env, ctx);
    // Look again shortly: by then the refresh has landed, and the next one is a period away.
    return FRESH_MS / 10;
  }

  /**
   * Command, after a request was counted: makes sure its counts reach the board within about
   * HAND_OVER_MS, however many requests are counted meanwhile. The first count of a batch starts one
   * timer; when it fires, a refresh asks the board with the counts, unless an earlier one took them.
   */
  handOverSoon(env: HealthBindings, ctx: Background): void {
    if (!this.tally.claimHandOverTimer()) return;
    ctx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, HAND_OVER_MS)).then(() => this.handOver(env, ctx)),
    );
  }

  /**
   * Command: reports a failed request off the response path, batched per node with the isolate's other
   * reports; the board's answer refreshes this isolate's copy.
   */
  reportFailure(env: HealthBindings, ctx: Background, nodeId: string, kind: string, error: string): void {
    this.reports ??= new FailureReports((node, count, text) =>
      boardOf(env)
        .reportFailure(node, text, count)
        .then((snapshot) => this.keepAndShare(snapshot), unreachable('reportFailure')),
    );
    const sent = this.reports.report(nodeId, kind, error);
    if (sent) ctx.waitUntil(sent);
  }

  /**
   * Command: takes a snapshot the board gave an operator's call (admin/board-operations.ts) as this
   * isolate's copy, and shares it, unless this isolate already has a newer one.
   */
  adopt(snapshot: HealthSnapshot): Promise<void> {
    return this.keepAndShare(snapshot);
  }

  /** The age at which this isolate's copy is refreshed: FRESH_MS, or its drawn age while it shares. */
  private refreshAge(now: number): number {
    if (!this.shared.sharing(now)) return FRESH_MS;
    this.sharingAgeMs ??= FRESH_MS * (0.5 + Math.random() / 2);
    return this.sharingAgeMs;
  }

  private age(now: number): number {
    return this.copy ? ageOf(this.copy, now) : Number.POSITIVE_INFINITY;
  }

  /** Takes `snapshot` as this isolate's copy if it is newer, and tells the listeners; true if it did. */
  private keep(snapshot: HealthSnapshot): boolean {
    if (this.copy && snapshot.takenAt <= this.copy.takenAt) return false;
    this.copy = snapshot;
    for (const listener of this.listeners) listener(snapshot);
    return true;
  }

  /**
   * The board's answer: kept here, and shared with the location's other isolates, unless this isolate
   * already has a newer one (answers can land out of order): the location's copy never goes back in time.
   */
  private async keepAndShare(snapshot: HealthSnapshot): Promise<void> {
    if (this.keep(snapshot)) await this.shared.share(snapshot);
  }

  /**
   * A newer snapshot: the location's shared one when it is fresh enough, else the board's, then shared
   * (worker/shared-copy.ts says when the cache is used at all).
   */
  private async newerSnapshot(env: HealthBindings): Promise<void> {
    const now = Date.now();
    const handOver = this.tally.countsDue(now);
    const cached = this.shared.usesCache(now);
    if (cached && !handOver) {
      const shared = await this.shared.sharedSnapshot(now);
      const copy = this.copy;
      if (shared && (!copy || shared.takenAt > copy.takenAt) && ageOf(shared, now) < this.refreshAge(now)) {
        this.keep(shared);
        return;
      }
    }
    const snapshot = await boardOf(env).snapshot(handOver ? this.tally.takeReport() : undefined);
    if (cached) await this.keepAndShare(snapshot);
    else this.keep(snapshot);
  }

  /**
   * One refresh at a time per isolate, shared by every request that wants it. The request that starts
   * it keeps it alive with `waitUntil`: a refresh whose request ended would never settle, and
   * `refreshing` would then block this isolate's refreshes for good.
   */
  private refresh(env: HealthBindings, ctx: Background): Promise<void> {
    if (!this.refreshing) {
      const call = this.newerSnapshot(env).catch(unreachable('snapshot'));
      this.refreshing = within(call, REFRESH_LIMIT_MS).finally(() => {
        this.refreshing = undefined;
      });
      ctx.waitUntil(this.refreshing);
    }
    return this.refreshing;
  }

  /**
   * Hands the counts over now. A refresh already in flight may have begun before they were due and
   * will not carry them: then, once it lands, another refresh does (at most a few: each takes the
   * counts when it starts, or finds nothing due).
   */
  private async handOver(env: HealthBindings, ctx: Background): Promise<void> {
    for (let attempt = 0; attempt < 3 && this.tally.countsDue(Date.now()); attempt++) {
      await this.refresh(env, ctx);
    }
  }
}
