/**
 * The health snapshot shared by the router isolates of one Cloudflare location, through the
 * location's cache (the Cache API is per data centre and never replicated). An isolate that needs a
 * fresher copy takes the shared one when it is fresh enough, and only otherwise asks the health board,
 * then shares what the board said: board calls grow with locations, not with isolates.
 *
 * Sharing costs a cache read per refresh and a cache write per board call, which only pays when there
 * is someone to share with. So an isolate shares while it has seen another isolate's copy in the last
 * SHARING_TTL_MS; until then (alone in its location, as most isolates of a quiet site are) it only
 * looks and writes every PROBE_EVERY-th refresh, which is how two isolates find each other: within
 * PROBE_EVERY refreshes of the second one's start.
 *
 * The Cache API works on a custom domain or route (which the router needs anyway, for its first-party
 * cookie); on `*.workers.dev` it stores nothing, and every isolate asks the board as before. Any
 * failure of the cache is the same as a miss.
 */
import type { HealthSnapshot } from './board';
import { isolateName } from './isolate';

const CACHE_NAME = 'cobrowse-edge:health';
/** Never a page of the site: a name of the router's own, in its own named cache. */
const KEY = 'https://cobrowse-edge.internal/health-snapshot';
/** Long enough to outlive any use (a shared copy is used only while it is fresh). */
const CACHE_CONTROL = 'max-age=60';
/** An isolate alone looks (and shares) every this many refreshes, to find out it is not. */
const PROBE_EVERY = 10;
/** Sharing goes on this long after another isolate's copy was last seen. */
const SHARING_TTL_MS = 30_000;

/** What the cache holds: the snapshot, and which isolate put it there. */
interface SharedEntry {
  readonly by: string;
  readonly snapshot: HealthSnapshot;
}

let otherSeenAt = Number.NEGATIVE_INFINITY;
/** Refreshes since this isolate last looked; starts due, so a new isolate looks at once. */
let sinceProbe = PROBE_EVERY;

/** Does this isolate share now: has it seen another isolate's copy recently? */
export function sharing(now: number): boolean {
  return now - otherSeenAt < SHARING_TTL_MS;
}

/** Should this refresh use the cache (look, and share what the board says)? Counts the refresh. */
export function usesCache(now: number): boolean {
  sinceProbe++;
  if (!sharing(now) && sinceProbe < PROBE_EVERY) return false;
  sinceProbe = 0;
  return true;
}

/** The location's shared snapshot, if any; notes whether another isolate put it there. */
export async function sharedSnapshot(now: number): Promise<HealthSnapshot | undefined> {
  try {
    const cached = await (await caches.open(CACHE_NAME)).match(KEY);
    if (!cached) return undefined;
    const entry = (await cached.json()) as SharedEntry;
    if (entry.by !== isolateName()) otherSeenAt = now;
    return entry.snapshot;
  } catch {
    return undefined;
  }
}

/** Shares `snapshot` with the location's other isolates. */
export async function share(snapshot: HealthSnapshot): Promise<void> {
  try {
    const entry: SharedEntry = { by: isolateName(), snapshot };
    const response = new Response(JSON.stringify(entry), {
      headers: { 'content-type': 'application/json', 'cache-control': CACHE_CONTROL },
    });
    await (await caches.open(CACHE_NAME)).put(KEY, response);
  } catch {
    // Not shared this time: the others ask the board themselves.
  }
}
