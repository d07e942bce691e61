/**
 * Work open on a node in this isolate: requests waiting for response headers and streamed response
 * bodies (one Watches, owned by the isolate: src/worker/isolate.ts; WebSockets are the socket gates'). Each
 * piece of work is watched while it is open, and ended as soon as this isolate learns that its node
 * is unavailable (down, or disabled by an operator). Both kinds alike: the tally counts only a waiting
 * request as an open session (worker/tally.ts), but a streaming body is cut when its node goes too.
 *
 * How it reaches every piece of work, whichever request learns the news: a newer health snapshot,
 * fetched by any request of the isolate, resolves the `gone` promise of each watch whose node it shows
 * unavailable. workerd runs a promise's continuations in the request that created it (the
 * `handle_cross_request_promise_resolution` behaviour, default since 2024-10-14; wrangler.toml names
 * it and test/e2e/deploy-environments.test.ts fails without it), so each watcher ends its own fetch
 * there (touching another request's I/O objects directly would throw).
 *
 * While anything is watched, each watch's own timer keeps the health copy at most FRESH_MS old
 * ({@link HealthCopy.refreshWhenDue}: one board call per isolate per second, however many watches)
 * and the isolate's gauges handed over every HAND_OVER_MS ({@link HealthCopy.handOverSoon}). The
 * timer runs in the watch's request, which stays alive as long as the work does; with nothing
 * watched, nothing calls the board.
 */
import type { Config } from '../config/config';
import type { NodeConfig } from '../config/roster';
import { availabilityFrom } from '../wire/availability';
import type { HealthSnapshot } from '../wire/health-snapshot';
import type { HealthBindings, HealthCopy } from './health-copy';

export interface Watch {
  /** Resolves when the node becomes unavailable; never rejects, and never resolves after release. */
  readonly gone: Promise<void>;
  /** Stops watching (the work ended by itself). */
  release(): void;
}

interface Watched {
  readonly node: NodeConfig;
  readonly config: Config;
  readonly wake: () => void;
  /** When its timer last ran: a watch whose request was cancelled stops ticking, and is forgotten. */
  tickedAt: number;
}

/**
 * A watch whose timer has not run for this long belongs to a request the platform cancelled (its
 * client left: no code after an await runs, its timers stop): it is forgotten, not woken. The timer
 * runs at least once a second while its request lives.
 */
const FORGET_AFTER_MS = 5000;

function isGone(entry: Watched, snapshot: HealthSnapshot | undefined): boolean {
  return availabilityFrom(snapshot, entry.config.health.onMarkedDown)(entry.node) === 'unavailable';
}

export class Watches {
  /** What is watched now: added by {@link watch}, removed on release or when its node goes. */
  private readonly watched = new Set<Watched>();

  constructor(private readonly health: HealthCopy) {
    health.onNewer((snapshot) => {
      const now = Date.now();
      for (const entry of this.watched) {
        if (now - entry.tickedAt > FORGET_AFTER_MS) {
          this.watched.delete(entry);
        } else if (isGone(entry, snapshot)) {
          this.watched.delete(entry);
          entry.wake();
        }
      }
    });
  }

  /** Query: how many pieces of work are watched (for tests). */
  get size(): number {
    return this.watched.size;
  }

  /**
   * Command: watches work open on `node` from now until it is released or its node goes. Call it from
   * the request that owns the work, with that request's env and context; `alive` is called on each
   * tick of the watch's timer, which runs while the request lives.
   */
  watch(
    node: NodeConfig,
    config: Config,
    env: HealthBindings,
    ctx: Pick<ExecutionContext, 'waitUntil'>,
    alive: () => void = () => {},
  ): Watch {
    let wake = () => {};
    const gone = new Promise<void>((resolve) => (wake = resolve));
    const entry: Watched = { node, config, wake, tickedAt: Date.now() };
    let timer = 0;
    const release = () => {
      this.watched.delete(entry);
      clearTimeout(timer);
      // The work's end changed this isolate's gauges: the board hears of it soon.
      this.health.handOverSoon(env, ctx);
    };
    // The node may have gone before the work was watched.
    if (isGone(entry, this.health.latest())) {
      wake();
      return { gone, release };
    }
    this.watched.add(entry);
    const keepFresh = () => {
      if (!this.watched.has(entry)) return;
      entry.tickedAt = Date.now();
      alive();
      // The gauges reach the board within HAND_OVER_MS even when no refresh of the watches' comes due
      // to carry them: an operator's reads (status JSON, page, metrics) keep the copy fresh too, and
      // without this timer 40 held long-polls never reached the board while its status was read four
      // times a second (test/e2e/open-sessions.test.ts).
      this.health.handOverSoon(env, ctx);
      timer = setTimeout(keepFresh, this.health.refreshWhenDue(env, ctx));
    };
    keepFresh();
    // Once gone, the timer has no more work: the request may end.
    gone.then(() => clearTimeout(timer));
    return { gone, release };
  }
}
