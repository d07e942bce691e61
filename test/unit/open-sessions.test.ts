/**
 * Open sessions are what is open: a node's held WebSockets and its requests waiting for response
 * headers (the long-polls it holds), never its response bodies streaming to slow readers. From the
 * isolate's tally (src/worker/tally.ts) through the board's sum (src/board/traffic.ts) to the
 * capacity rule (src/wire/node-load.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TrafficFigures } from '../../src/admin/traffic-card';
import {
  currentGauges,
  emptyTraffic,
  type IsolateGauges,
  type NodeTraffic,
  openSessionsOf,
  record,
  trafficView,
} from '../../src/board/traffic';
import { HELD_WEBSOCKETS, type NodeCounts, STREAMING, WAITING } from '../../src/wire/counts';
import { HAND_OVER_MS } from '../../src/wire/hand-over';
import { atCapacity } from '../../src/wire/node-load';
import { Tally } from '../../src/worker/tally';

const MAX_SESSIONS = 20;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** The gauges `tally` reports now, for `node`: [held, waiting, streaming]. */
const gaugesOf = (tally: Tally, node: string) => {
  const row = tally.takeReport().gauges[node] ?? [];
  return [row[HELD_WEBSOCKETS] ?? 0, row[WAITING] ?? 0, row[STREAMING] ?? 0];
};

describe('the tally', () => {
  it('counts a request as waiting until its headers arrive, then as streaming until its body ends', () => {
    const tally = new Tally(() => 'isolate-a');
    const lease = tally.openWork('n1', 5000);
    expect(gaugesOf(tally, 'n1')).toEqual([0, 1, 0]);
    lease.streams();
    expect(gaugesOf(tally, 'n1')).toEqual([0, 0, 1]);
    // Moving again changes nothing.
    lease.streams();
    expect(gaugesOf(tally, 'n1')).toEqual([0, 0, 1]);
    lease.end();
    expect(tally.takeReport().gauges).toEqual({});
  });

  it('opens a body that streams at once (quick headers, large body) as streaming', () => {
    const tally = new Tally(() => 'isolate-a');
    const leases = Array.from({ length: 40 }, () => tally.openWork('n1', 5000, 'streaming'));
    tally.openWork('n1', 5000);
    expect(gaugesOf(tally, 'n1')).toEqual([0, 1, 40]);
    for (const lease of leases) lease.end();
    expect(gaugesOf(tally, 'n1')).toEqual([0, 1, 0]);
  });

  it('asks for a hand-over timer while work is open, though nothing was counted since the last report', () => {
    const tally = new Tally(() => 'isolate-a');
    expect(tally.claimHandOverTimer()).toBe(false);
    const lease = tally.openWork('n1', 60_000);
    tally.takeReport();
    // A long-poll held on: its gauge must be handed over again, whoever keeps the health copy fresh.
    expect(tally.claimHandOverTimer()).toBe(true);
    expect(tally.countsDue(Date.now() + HAND_OVER_MS)).toBe(true);
    expect(tally.claimHandOverTimer()).toBe(false);
    lease.end();
    tally.takeReport();
    expect(tally.claimHandOverTimer()).toBe(false);
  });

  it('forgets a streaming body whose lease was not renewed, as a waiting request', () => {
    const tally = new Tally(() => 'isolate-a');
    const renewed = tally.openWork('n1', 5000, 'streaming');
    tally.openWork('n1', 5000, 'streaming');
    vi.advanceTimersByTime(4000);
    renewed.renew();
    vi.advanceTimersByTime(2000);
    expect(gaugesOf(tally, 'n1')).toEqual([0, 0, 1]);
  });
});

describe('a node of maxSessions 20, through the board', () => {
  /** The board's state after `tallies` and `gates` reported: open sessions and traffic of n1. */
  const board = (tallies: readonly Tally[], gates: Record<string, NodeCounts> = {}) => {
    const now = Date.now();
    const state = emptyTraffic(now);
    const isolates: IsolateGauges = new Map();
    for (const tally of tallies) record(state, isolates, tally.takeReport(), now);
    for (const [gate, gauges] of Object.entries(gates))
      record(state, isolates, { isolate: gate, counts: {}, gauges }, now);
    const openSessions = openSessionsOf(currentGauges(isolates, now), 'n1');
    const [traffic] = trafficView(state, isolates, ['n1'], now).nodes;
    return { openSessions, full: atCapacity(openSessions, MAX_SESSIONS), traffic };
  };

  it('is not full with 40 unread bodies streaming from it, in two isolates', () => {
    const tallies = [new Tally(() => 'isolate-a'), new Tally(() => 'isolate-b')];
    for (let i = 0; i < 40; i++) {
      const tally = tallies[i % 2] as Tally;
      // Half of them waited past 250 ms for their headers first, half streamed at once.
      if (i % 4 < 2) tally.openWork('n1', 5000).streams();
      else tally.openWork('n1', 5000, 'streaming');
    }
    const { openSessions, full, traffic } = board(tallies);
    expect([openSessions, full]).toEqual([0, false]);
    expect([traffic?.streaming, traffic?.inFlight, traffic?.quietSince]).toEqual([40, 40, null]);
  });

  it('is full with 20 long-polls held (waiting), or with sockets and long-polls that make 20', () => {
    const polls = new Tally(() => 'isolate-a');
    for (let i = 0; i < 20; i++) polls.openWork('n1', 5000);
    expect(board([polls]).full).toBe(true);

    const some = new Tally(() => 'isolate-a');
    for (let i = 0; i < 12; i++) some.openWork('n1', 5000);
    const gate = { n1: [8, 0, 0] };
    const { openSessions, full } = board([some], { gate });
    expect([openSessions, full]).toEqual([20, true]);
  });
});

describe('the status page', () => {
  /** A drained node's figures as the page renders them, with these gauges [held, waiting, streaming]. */
  const drainedCard = async (gauges: number[]) => {
    const state = emptyTraffic(Date.now());
    const isolates: IsolateGauges = new Map();
    record(state, isolates, { isolate: 'a', counts: {}, gauges: { n1: gauges } }, Date.now());
    const [traffic] = trafficView(state, isolates, ['n1'], Date.now()).nodes;
    const figures = TrafficFigures({
      traffic: traffic as NodeTraffic,
      bucketMs: 10_000,
      draining: true,
      deadline: null,
      now: Date.now(),
    });
    return String(await figures);
  };

  it('keeps a drained node busy while a body streams, and names it apart from the waiting requests', async () => {
    const html = await drainedCard([0, 1, 2]);
    expect(html).toContain('data-drain="busy"');
    expect(html).toContain(
      '0 WebSockets held, 3 requests in flight (2 streaming a body), 0 session requests in the last minute.',
    );
    expect(html).toMatch(/data-figure="in-flight"[^>]*>3 requests: 1 waiting, 2 streaming</);
    // With no body streaming, the countdown reads as it always did.
    expect(await drainedCard([1, 0, 0])).toContain(
      '1 WebSocket held, 0 requests in flight, 0 session requests in the last minute.',
    );
  });
});
