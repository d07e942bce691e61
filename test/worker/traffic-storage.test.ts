/**
 * The board's traffic in real Durable Object storage (board/traffic-storage.ts): what a report
 * writes, and that buckets past the kept 15 minutes leave storage, also when the object that stored
 * them was evicted meanwhile (the mark of the last pruning lives in the object, not the module).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { BUCKET_MS, BUCKETS, type IsolateGauges, record } from '../../src/board/traffic';
import { TrafficStorage } from '../../src/board/traffic-storage';
import { AT, COUNTERS } from '../../src/wire/counts';

const START = 1_800_000_000_000 - (1_800_000_000_000 % BUCKET_MS);

function sticky(count: number): number[] {
  const row = new Array<number>(COUNTERS).fill(0);
  row[AT.reason('sticky')] = count;
  return row;
}

/** One report of `count` sticky requests on node `n1` at `now`, loaded, recorded and saved by `storage`. */
function reportAt(storage: TrafficStorage, count: number, now: number): void {
  const state = storage.load(now);
  const gauges: IsolateGauges = new Map();
  storage.save(
    state,
    record(state, gauges, { isolate: 'a', counts: { n1: sticky(count) }, gauges: {} }, now),
  );
}

const storedBuckets = (kv: SyncKvStorage) =>
  [...kv.list({ prefix: 'traffic:bucket:' })].map(([key]) => Number(key.slice('traffic:bucket:'.length)));

it('stores the totals and the buckets of the last 15 minutes, and drops older ones as a new object too', async () => {
  const stub = env.HEALTH.get(env.HEALTH.idFromName('traffic-storage-test'));
  await runInDurableObject(stub, (_board, state) => {
    const { kv } = state.storage;
    const first = new TrafficStorage(kv);
    reportAt(first, 7, START + 1);
    reportAt(first, 2, START + BUCKET_MS);
    expect(storedBuckets(kv)).toEqual([START, START + BUCKET_MS]);
    // A new object (after an eviction) whose first report is a window later: START's bucket goes.
    const second = new TrafficStorage(kv);
    reportAt(second, 1, START + BUCKETS * BUCKET_MS);
    expect(storedBuckets(kv)).toEqual([START + BUCKET_MS, START + BUCKETS * BUCKET_MS]);
    const loaded = second.load(START + BUCKETS * BUCKET_MS);
    expect(loaded.totals.n1?.[AT.reason('sticky')]).toBe(10);
    expect(Object.keys(loaded.buckets).map(Number)).toEqual([START + BUCKET_MS, START + BUCKETS * BUCKET_MS]);
  });
});
