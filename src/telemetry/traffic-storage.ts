/**
 * The board's traffic state in its storage (the SQLite-backed synchronous KV), so totals and the last
 * 15 minutes survive the object's eviction and restarts: one key for the totals, one per 10-second
 * bucket. Each report rewrites the totals and its own bucket only.
 */

import type { NodeCounts } from './counts';
import { BUCKET_MS, BUCKETS, emptyTraffic, type TrafficState } from './traffic';

const TOTALS = 'traffic:totals';
const BUCKET = 'traffic:bucket:';

type StoredTotals = Pick<TrafficState, 'since' | 'totals' | 'lastActive'>;

export function loadTraffic(kv: SyncKvStorage, now: number): TrafficState {
  const stored = kv.get<StoredTotals>(TOTALS);
  const state = stored ? { ...stored, buckets: {} } : emptyTraffic(now);
  for (const [key, counts] of kv.list<NodeCounts>({ prefix: BUCKET })) {
    state.buckets[key.slice(BUCKET.length)] = counts;
  }
  return state;
}

/** The bucket whose first report last dropped the expired ones (in this object's memory). */
let prunedFor = 0;

/**
 * Writes what a report at `bucket` changed; the first report of a bucket also drops buckets older
 * than the kept window.
 */
export function saveTraffic(kv: SyncKvStorage, state: TrafficState, bucket: number): void {
  const { since, totals, lastActive } = state;
  kv.put<StoredTotals>(TOTALS, { since, totals, lastActive });
  kv.put(BUCKET + bucket, state.buckets[bucket]);
  if (bucket === prunedFor) return;
  prunedFor = bucket;
  for (const [key] of kv.list({ prefix: BUCKET, end: BUCKET + (bucket - BUCKETS * BUCKET_MS + 1) })) {
    kv.delete(key);
  }
}
