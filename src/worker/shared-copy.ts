/**
 * The health snapshot shared by the router isolates of one Cloudflare location, through the
 * location's cache (the Cache API is per data centre and never replicated). An isolate that needs a
 * fresher copy takes the shared one when it is fresh enough, and only otherwise asks the health board,
 * then shares what the board said: board calls grow with locations, not with isolates.
 *
 * One SharedCopy per isolate, owned by the isolate (src/worker/isolate.ts), which the health copy asks.
 *
 * Sharing costs a cache read per refresh and a cache write per board call, which only pays when there
 * is someone to share with. So an isolate shares while it has seen another isolate's copy in the last
 * SHARING_TTL_MS; until then (alone in its location, as most isolates of a quiet site are) it only
 * looks and writes at probes: its first refresh, PROBE_AGAIN_MS later, then every PROBE_EVERY_MS.
 * That is how isolates find each other: within PROBE_AGAIN_MS when they start together (the common
 * case under load: the first to look finds nothing, the others find its copy, it finds theirs at its
 * second look), within PROBE_EVERY_MS when one joins a long-lived one. (Measured with callgrind: a
 * probe on every 10th refresh still cost a lone isolate 3 % per request in Miniflare's cache.)
 *
 * The Cache API works on a custom domain or route (which the router needs anyway, for its first-party
 * cookie); on `*.workers.dev` it stores nothing, and every isolate asks the board as before. Any
 * failure of the cache is the same as a miss.
 */
import type { HealthSnapshot } from '../wire/health-snapshot';

const CACHE_NAME = 'cobrowse-edge:health';
/** Never a page of the site: a name of the router's own, in its own named cache. */
const KEY = 'https://cobrowse-edge.internal/health-snapshot';
/** Longer than PROBE_EVERY_MS, so a lone isolate's last probe is still there for a newcomer to see. */
const CACHE_CONTROL = 'max-age=120';
const PROBE_AGAIN_MS = 2000;
const PROBE_EVERY_MS = 60_000;
/** Sharing goes on this long after another isolate's copy was last seen. */
const SHARING_TTL_MS = 30_000;

/** What the cache holds: the snapshot, and which isolate put it there. */
interface SharedEntry {
  readonly by: string;
  readonly snapshot: HealthSnapshot;
}

export class SharedCopy {
  private otherSeenAt = Number.NEGATIVE_INFINITY;
  /** When the next probe is due: at once for a new isolate. */
  private nextProbeAt = Number.NEGATIVE_INFINITY;
  private probes = 0;

  /** `name`: this isolate's name, written with what it shares to tell its own copy from others'. */
  constructor(private readonly name: () => string) {}

  /** Query: does this isolate share now (has it seen another isolate's copy recently)? */
  sharing(now: number): boolean {
    return now - this.otherSeenAt < SHARING_TTL_MS;
  }

  /**
   * Command and answer: should this refresh use the cache (look, and share what the board says)? A
   * probe that is due counts as taken.
   */
  usesCache(now: number): boolean {
    if (this.sharing(now)) return true;
    if (now < this.nextProbeAt) return false;
    this.nextProbeAt = now + (this.probes++ === 0 ? PROBE_AGAIN_MS : PROBE_EVERY_MS);
    return true;
  }

  /** The location's shared snapshot, if any; notes whether another isolate put it there. */
  async sharedSnapshot(now: number): Promise<HealthSnapshot | undefined> {
    try {
      const cached = await (await caches.open(CACHE_NAME)).match(KEY);
      if (!cached) return undefined;
      const entry = (await cached.json()) as SharedEntry;
      if (entry.by !== this.name()) this.otherSeenAt = now;
      return entry.snapshot;
    } catch {
      return undefined;
    }
  }

  /** Shares `snapshot` with the location's other isolates. */
  async share(snapshot: HealthSnapshot): Promise<void> {
    try {
      const entry: SharedEntry = { by: this.name(), snapshot };
      const response = new Response(JSON.stringify(entry), {
        headers: { 'content-type': 'application/json', 'cache-control': CACHE_CONTROL },
      });
      await (await caches.open(CACHE_NAME)).put(KEY, response);
    } catch {
      // Not shared this time: the others ask the board themselves.
    }
  }
}
