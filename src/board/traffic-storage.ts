/**
 * The board's traffic state in its storage (the SQLite-backed synchronous KV), so totals and the last
 * 15 minutes survive the object's eviction and restarts: one key for the totals, one per 10-second
 * bucket. Each report rewrites the totals and its own bucket only.
 */

import type { NodeCounts } from '../wire/counts';
import { BUCKET_MS, BUCKETS, emptyTraffic, type TrafficState } from './traffic';

const TOTALS = 'traffic:totals';
const BUCKET = 'traffic:bucket:';

type StoredTotals = Pick<TrafficState, 'since' | 'totals' | 'lastActive'>;

export class TrafficStorage {
  /** The bucket whose first report last dropped the expired ones (in this object's memory). */
  private prunedFor = 0;

  constructor(private readonly kv: SyncKvStorage) {}

  /** The stored state, or an empty one that starts counting at `now`. */
  load(now: number): TrafficState {
    const stored = this.kv.get<StoredTotals>(TOTALS);
    const state = stored ? { ...stored, buckets: {} } : emptyTraffic(now);
    for (const [key, counts] of this.kv.list<NodeCounts>({ prefix: BUCKET })) {
      state.buckets[key.slice(BUCKET.length)] = counts;
    }
    return state;
  }

  /**
   * Writes what a report at `bucket` changed; the first report of a bucket also drops buckets older
   * than the kept window.
   */
  save(state: TrafficState, bucket: number): void {
    const { since, totals, lastActive } = state;
    this.kv.put<StoredTotals>(TOTALS, { since, totals, lastActive });
    this.kv.put(BUCKET + bucket, state.buckets[bucket]);
    if (bucket === this.prunedFor) return;
    this.prunedFor = bucket;
    const end = BUCKET + (bucket - BUCKETS * BUCKET_MS + 1);
    for (const [key] of this.kv.list({ prefix: BUCKET, end })) this.kv.delete(key);
  }
}
