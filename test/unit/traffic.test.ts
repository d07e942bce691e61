import { describe, expect, it } from 'vitest';
import {
  BUCKET_MS,
  BUCKETS,
  currentGauges,
  emptyTraffic,
  type IsolateGauges,
  openSessionsOf,
  record,
  trafficView,
} from '../../src/board/traffic';
import {
  AT,
  COUNTERS,
  GAUGES,
  HELD_WEBSOCKETS,
  type NodeCounts,
  STREAMING,
  type TrafficReport,
  WAITING,
} from '../../src/wire/counts';
import { GAUGE_TTL_MS } from '../../src/wire/hand-over';

const T0 = 1_800_000_000_000;

/** A row with `values` at the given indexes. */
function row(width: number, values: Record<number, number>): number[] {
  const counts = new Array<number>(width).fill(0);
  for (const [index, value] of Object.entries(values)) counts[Number(index)] = value;
  return counts;
}

function report(isolate: string, counts: NodeCounts, gauges: NodeCounts = {}): TrafficReport {
  return { isolate, counts, gauges };
}

const sticky = (count: number) => row(COUNTERS, { [AT.reason('sticky')]: count, [AT.status(200)]: count });
const open = (sockets: number, waiting: number, streaming = 0) =>
  row(GAUGES, { [HELD_WEBSOCKETS]: sockets, [WAITING]: waiting, [STREAMING]: streaming });

describe('the board’s traffic', () => {
  it('adds every isolate’s counts into totals per node, and sums their gauges', () => {
    const state = emptyTraffic(T0);
    const isolates: IsolateGauges = new Map();
    record(state, isolates, report('a', { n1: sticky(3) }, { n1: open(2, 1) }), T0 + 100);
    record(state, isolates, report('b', { n1: sticky(4), n2: sticky(1) }, { n1: open(1, 0) }), T0 + 200);
    // Isolate a again: its gauges replace its own earlier ones, its counts add.
    record(state, isolates, report('a', { n1: sticky(1) }, { n1: open(0, 1) }), T0 + 300);
    const view = trafficView(state, isolates, ['n1', 'n2', 'n3'], T0 + 400);
    const [n1, n2, n3] = view.nodes;
    expect(n1?.totals.requests.sticky).toBe(8);
    expect(n1?.totals.responses['2xx']).toBe(8);
    expect([n1?.heldWebSockets, n1?.inFlight]).toEqual([1, 1]);
    expect(n2?.totals.requests.sticky).toBe(1);
    expect(n3?.totals.requests.sticky).toBe(0);
    expect(n3?.quietSince).toBe(T0);
  });

  it('counts an isolate’s gauges only while it reported within GAUGE_TTL_MS', () => {
    const state = emptyTraffic(T0);
    const isolates: IsolateGauges = new Map();
    record(state, isolates, report('gone', {}, { n1: open(5, 2) }), T0);
    record(state, isolates, report('alive', {}, { n1: open(1, 0) }), T0 + GAUGE_TTL_MS);
    expect(trafficView(state, isolates, ['n1'], T0 + GAUGE_TTL_MS + 1).nodes[0]?.heldWebSockets).toBe(1);
    expect(isolates.has('gone')).toBe(false);
  });

  it('keeps 15 minutes of 10-second buckets, oldest first, and drops older ones', () => {
    const state = emptyTraffic(T0);
    const isolates: IsolateGauges = new Map();
    const start = T0 - (T0 % BUCKET_MS);
    record(state, isolates, report('a', { n1: sticky(7) }), start + 1);
    record(state, isolates, report('a', { n1: sticky(2) }), start + 5 * BUCKET_MS);
    const view = trafficView(state, isolates, ['n1'], start + 5 * BUCKET_MS + 1);
    const history = view.nodes[0]?.history ?? [];
    expect(history).toHaveLength(BUCKETS);
    expect(history.slice(-6).map((entry) => entry[0])).toEqual([7, 0, 0, 0, 0, 2]);
    record(state, isolates, report('a', { n1: sticky(1) }), start + BUCKETS * BUCKET_MS);
    expect(Object.keys(state.buckets).map(Number)).not.toContain(start);
    expect(state.totals.n1?.[AT.reason('sticky')]).toBe(10);
  });

  it('gives requests per second and pinned requests over the last minute, and quiet since the last activity', () => {
    const state = emptyTraffic(T0);
    const isolates: IsolateGauges = new Map();
    const start = T0 - (T0 % BUCKET_MS);
    record(state, isolates, report('a', { n1: sticky(60) }), start);
    const now = start + 5 * BUCKET_MS; // the last minute: six buckets, 50 s of them elapsed
    const [n1] = trafficView(state, isolates, ['n1'], now).nodes;
    expect(n1?.requestsPerSecond).toBe(1.2);
    expect(n1?.pinnedLastMinute).toBe(60);
    expect(n1?.quietSince).toBe(start);
    const later = trafficView(state, isolates, ['n1'], start + 10 * BUCKET_MS).nodes[0];
    expect([later?.requestsPerSecond, later?.pinnedLastMinute]).toEqual([0, 0]);
  });

  it('is busy, not quiet, while an isolate reports work open on the node', () => {
    const state = emptyTraffic(T0);
    const isolates: IsolateGauges = new Map();
    record(state, isolates, report('a', {}, { n1: open(1, 0) }), T0 + 10);
    expect(trafficView(state, isolates, ['n1'], T0 + 20).nodes[0]?.quietSince).toBeNull();
    record(state, isolates, report('a', {}, { n1: open(0, 0) }), T0 + 30);
    expect(trafficView(state, isolates, ['n1'], T0 + 40).nodes[0]?.quietSince).toBe(T0 + 30);
  });

  it('counts held sockets and waiting requests as open sessions, and streaming bodies only as in flight', () => {
    const state = emptyTraffic(T0);
    const isolates: IsolateGauges = new Map();
    // Two isolates streaming 40 bodies that nobody reads; one long-poll waits; a gate holds 2 sockets.
    record(state, isolates, report('a', {}, { n1: open(0, 1, 20), n2: open(0, 0, 15) }), T0 + 10);
    record(state, isolates, report('b', {}, { n1: open(0, 0, 5) }), T0 + 20);
    record(state, isolates, report('gate', {}, { n1: open(2, 0) }), T0 + 30);
    const gauges = currentGauges(isolates, T0 + 40);
    expect(openSessionsOf(gauges, 'n1')).toBe(3);
    expect(openSessionsOf(gauges, 'n2')).toBe(0);
    const [n1, n2] = trafficView(state, isolates, ['n1', 'n2'], T0 + 40).nodes;
    expect([n1?.heldWebSockets, n1?.waiting, n1?.streaming, n1?.inFlight]).toEqual([2, 1, 25, 26]);
    expect([n2?.heldWebSockets, n2?.waiting, n2?.streaming, n2?.inFlight]).toEqual([0, 0, 15, 15]);
    // A streaming body is open work: the node is busy, not quiet (a restart would cut it).
    expect(n2?.quietSince).toBeNull();
  });

  it('reads a report of an older reporter (two gauges, no streaming) as before', () => {
    const state = emptyTraffic(T0);
    const isolates: IsolateGauges = new Map();
    record(state, isolates, report('old', {}, { n1: [1, 4] }), T0 + 10);
    expect(openSessionsOf(currentGauges(isolates, T0 + 20), 'n1')).toBe(5);
    const [n1] = trafficView(state, isolates, ['n1'], T0 + 20).nodes;
    expect([n1?.waiting, n1?.streaming, n1?.inFlight]).toEqual([4, 0, 4]);
  });
});
