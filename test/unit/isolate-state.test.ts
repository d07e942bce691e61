/**
 * The isolate's state (src/worker/isolate.ts), piece by piece, with fresh instances: the counts and their
 * hand-over, the health copy's refreshes and sharing, the watches. The board is a stand-in here: what
 * is tested is what this isolate does with its answers and when.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setNodeMode } from '../../src/admin/board-operations';
import { initialHealth } from '../../src/board/health-machine';
import type { Config } from '../../src/config/config';
import type { NodeConfig } from '../../src/config/roster';
import { AT, WAITING } from '../../src/wire/counts';
import { HAND_OVER_MS } from '../../src/wire/hand-over';
import type { HealthSnapshot } from '../../src/wire/health-snapshot';
import { HealthCopy } from '../../src/worker/health-copy';
import { Watches } from '../../src/worker/in-flight';
import { SharedCopy } from '../../src/worker/shared-copy';
import { Tally } from '../../src/worker/tally';

const snapshotAt = (takenAt: number, disabled: string[] = []): HealthSnapshot => ({
  takenAt,
  calls: 0,
  nodes: ['n1', 'n2'].map((id) => ({
    id,
    origin: `http://${id}`,
    weight: 1,
    via: null,
    ...initialHealth(),
    mode: disabled.includes(id) ? 'disabled' : 'active',
  })),
});

/** A board stand-in: every call is recorded and answered when the test says. */
function board() {
  const calls: { method: string; report?: unknown; answer: (snapshot: HealthSnapshot) => void }[] = [];
  const call = (method: string, report?: unknown) =>
    new Promise<HealthSnapshot>((answer) => calls.push({ method, report, answer }));
  const stub = {
    snapshot: (report?: unknown) => call('snapshot', report),
    setMode: () => call('setMode'),
    reportFailure: () => call('reportFailure'),
  };
  const env = { HEALTH: { idFromName: () => 'id', get: () => stub } } as unknown as Pick<Env, 'HEALTH'>;
  return { calls, env };
}
const ctx = { waitUntil: () => {} };
/** Resolves after every microtask queued so far has run (a macrotask comes after them all). */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A shared copy that never finds another isolate, and records what it was asked to share. */
class RecordingSharedCopy extends SharedCopy {
  readonly shared: number[] = [];
  override usesCache(): boolean {
    return false;
  }
  override async share(snapshot: HealthSnapshot): Promise<void> {
    this.shared.push(snapshot.takenAt);
  }
}

describe('the tally', () => {
  it('counts, asks for one hand-over timer per batch, and is due once HAND_OVER_MS passed', () => {
    const tally = new Tally(() => 'isolate-a');
    expect(tally.claimHandOverTimer()).toBe(false);
    tally.countAnswer('n1', 'sticky', 200);
    tally.countAnswer('n1', 'sticky', 503);
    expect(tally.claimHandOverTimer()).toBe(true);
    expect(tally.claimHandOverTimer()).toBe(false);
    const report = tally.takeReport();
    expect(report.isolate).toBe('isolate-a');
    expect(report.counts.n1?.[AT.reason('sticky')]).toBe(2);
    expect(report.counts.n1?.[AT.status(503)]).toBe(1);
    // Nothing counted since: not due; work open keeps its gauges due every HAND_OVER_MS.
    expect(tally.countsDue(Date.now() + HAND_OVER_MS)).toBe(false);
    tally.openWork('n1', 10_000);
    tally.takeReport();
    expect(tally.countsDue(Date.now())).toBe(false);
    expect(tally.countsDue(Date.now() + HAND_OVER_MS)).toBe(true);
  });

  it('counts work in flight while its lease lives: ended at once, or forgotten once not renewed', () => {
    vi.useFakeTimers();
    try {
      const tally = new Tally(() => 'isolate-a');
      const inFlight = () => tally.takeReport().gauges.n1?.[WAITING] ?? 0;
      const ended = tally.openWork('n1', 5000);
      const renewed = tally.openWork('n1', 5000);
      // A request whose invocation the platform cancelled: nothing after its await runs, nobody renews.
      tally.openWork('n1', 5000);
      expect(inFlight()).toBe(3);
      ended.end();
      expect(inFlight()).toBe(2);
      vi.advanceTimersByTime(4000);
      renewed.renew();
      vi.advanceTimersByTime(2000);
      // The cancelled one ran out; the renewed one lives on.
      expect(inFlight()).toBe(1);
      renewed.end();
      expect(inFlight()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the health copy', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('never shares an answer older than the copy it has (answers may land out of order)', async () => {
    const { calls, env } = board();
    const shared = new RecordingSharedCopy(() => 'isolate-a');
    const health = new HealthCopy(new Tally(() => 'isolate-a'), shared);
    const first = setNodeMode(health, env, 'n1', 'draining');
    const second = setNodeMode(health, env, 'n2', 'draining');
    // The later call's answer lands first.
    calls[1]?.answer(snapshotAt(2000));
    await second;
    calls[0]?.answer(snapshotAt(1000));
    await first;
    expect(shared.shared).toEqual([2000]);
    expect(health.latest()?.takenAt).toBe(2000);
  });

  it('hands the counts over even when its timer meets a refresh begun before they were due', async () => {
    const { calls, env } = board();
    const tally = new Tally(() => 'isolate-a');
    const health = new HealthCopy(tally, new RecordingSharedCopy(() => 'isolate-a'));
    // A hand-over just happened; a count starts the next batch and its timer.
    tally.countAnswer('n1', 'sticky', 200);
    tally.takeReport();
    tally.countAnswer('n1', 'sticky', 200);
    health.handOverSoon(env, ctx);
    // Shortly before the timer, a refresh starts while the counts are not yet due: no report in it.
    await vi.advanceTimersByTimeAsync(HAND_OVER_MS - 500);
    health.read(env, ctx);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.report).toBeUndefined();
    // The timer fires while that refresh is out (it is given up only after 2 s).
    await vi.advanceTimersByTimeAsync(600);
    calls[0]?.answer(snapshotAt(Date.now()));
    // Once it lands, the counts go in a refresh of their own.
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]?.report).toMatchObject({ isolate: 'isolate-a' });
  });

  it('is read without waiting while usable, refreshed behind it when due, and waited for when too old', async () => {
    const { calls, env } = board();
    const health = new HealthCopy(new Tally(() => 'isolate-a'), new RecordingSharedCopy(() => 'isolate-a'));
    // No copy yet: nothing to use now, and nothing asked of the board by looking.
    expect(health.readNow(env, ctx)).toBeUndefined();
    expect(calls).toHaveLength(0);
    // The first read waits for the board.
    const first = health.read(env, ctx);
    calls[0]?.answer(snapshotAt(Date.now()));
    expect((await first)?.takenAt).toBe(Date.now());
    // Young: used as it is, no call.
    const taken = Date.now();
    await vi.advanceTimersByTimeAsync(500);
    expect(health.readNow(env, ctx)?.takenAt).toBe(taken);
    expect(calls).toHaveLength(1);
    // Past the refresh age but usable: still used now, with one refresh behind it.
    await vi.advanceTimersByTimeAsync(1000);
    expect(health.readNow(env, ctx)?.takenAt).toBe(taken);
    expect(health.readNow(env, ctx)?.takenAt).toBe(taken);
    expect(calls).toHaveLength(2);
    // Too old (the refresh never came back and was given up): not used without waiting.
    await vi.advanceTimersByTimeAsync(2000);
    expect(health.readNow(env, ctx)).toBeUndefined();
    const waited = health.read(env, ctx);
    expect(calls).toHaveLength(3);
    calls[2]?.answer(snapshotAt(Date.now()));
    expect((await waited)?.takenAt).toBe(Date.now());
  });
});

describe('the watches', () => {
  const node = (id: string) => ({ id }) as NodeConfig;
  const config = { health: { onMarkedDown: 'shutdown-sessions' } } as Config;
  /** A health copy stand-in that the test feeds with snapshots. */
  function health() {
    const listeners: ((snapshot: HealthSnapshot) => void)[] = [];
    let latest: HealthSnapshot | undefined;
    return {
      copy: {
        onNewer: (listener: (snapshot: HealthSnapshot) => void) => listeners.push(listener),
        latest: () => latest,
        refreshWhenDue: () => 1000,
        handOverSoon: () => {},
      } as unknown as HealthCopy,
      learn(snapshot: HealthSnapshot) {
        latest = snapshot;
        for (const listener of listeners) listener(snapshot);
      },
    };
  }

  it('wakes the work of a node that went, forgets it, and leaves released work alone', async () => {
    const { copy, learn } = health();
    const watches = new Watches(copy);
    const woken: string[] = [];
    const env = {} as Pick<Env, 'HEALTH'>;
    const one = watches.watch(node('n1'), config, env, ctx);
    const two = watches.watch(node('n2'), config, env, ctx);
    const released = watches.watch(node('n1'), config, env, ctx);
    one.gone.then(() => woken.push('one'));
    two.gone.then(() => woken.push('two'));
    released.gone.then(() => woken.push('released'));
    released.release();
    expect(watches.size).toBe(2);
    learn(snapshotAt(1000, ['n1']));
    await one.gone;
    await settled();
    expect(woken).toEqual(['one']);
    expect(watches.size).toBe(1);
    two.release();
    expect(watches.size).toBe(0);
  });

  it('forgets the watch of a request that stopped ticking (its invocation was cancelled)', async () => {
    vi.useFakeTimers();
    try {
      const { copy, learn } = health();
      const watches = new Watches(copy);
      const ticks: number[] = [];
      // Its timer never runs again after the first tick: the request is gone.
      watches.watch(node('n1'), config, {} as Pick<Env, 'HEALTH'>, ctx, () => ticks.push(Date.now()));
      vi.clearAllTimers();
      expect(ticks).toHaveLength(1);
      expect(watches.size).toBe(1);
      vi.advanceTimersByTime(6000);
      learn(snapshotAt(Date.now()));
      expect(watches.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('wakes at once work on a node already known gone', async () => {
    const { copy, learn } = health();
    const watches = new Watches(copy);
    learn(snapshotAt(1000, ['n2']));
    const late = watches.watch(node('n2'), config, {} as Pick<Env, 'HEALTH'>, ctx);
    let woken = false;
    late.gone.then(() => (woken = true));
    await settled();
    expect(woken).toBe(true);
    expect(watches.size).toBe(0);
  });
});
