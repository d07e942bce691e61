/**
 * The health snapshot shared by every router isolate of one Cloudflare location, through the
 * location's cache (the Cache API is per data centre and never replicated). An isolate that needs a
 * fresher copy takes the shared one when it is fresh enough, and only otherwise asks the health board,
 * then shares what the board said: board calls grow with locations, not with isolates.
 *
 * The Cache API works on a custom domain or route (which the router needs anyway, for its first-party
 * cookie); on `*.workers.dev` it stores nothing, and every isolate asks the board as before. Any
 * failure of the cache is the same as a miss.
 */
import type { HealthSnapshot } from './board';

const CACHE_NAME = 'cobrowse-edge:health';
/** Never a page of the site: a name of the router's own, in its own named cache. */
const KEY = 'https://cobrowse-edge.internal/health-snapshot';
/** Long enough to outlive any use (a shared copy is used only while it is fresh). */
const CACHE_CONTROL = 'max-age=10';

/** The location's shared snapshot, if any. */
export async function sharedSnapshot(): Promise<HealthSnapshot | undefined> {
  try {
    const cached = await (await caches.open(CACHE_NAME)).match(KEY);
    return cached ? ((await cached.json()) as HealthSnapshot) : undefined;
  } catch {
    return undefined;
  }
}

/** Shares `snapshot` with the location's other isolates. */
export async function share(snapshot: HealthSnapshot): Promise<void> {
  try {
    const response = new Response(JSON.stringify(snapshot), {
      headers: { 'content-type': 'application/json', 'cache-control': CACHE_CONTROL },
    });
    await (await caches.open(CACHE_NAME)).put(KEY, response);
  } catch {
    // Not shared this time: the others ask the board themselves.
  }
}
