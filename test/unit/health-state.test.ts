import { describe, expect, it } from 'vitest';
import {
  ADDED,
  expireDrain,
  initialHealth,
  MAX_TRANSITIONS,
  needsConfirmation,
  recordCheck,
  recordPassiveFailure,
  setMode,
} from '../../src/board/health-machine';
import { NodeHealthStore } from '../../src/board/node-health-store';
import type { NodeConfig } from '../../src/config/roster';
import type { CheckOutcome, NodeHealth } from '../../src/wire/node-health';
import { servingSince } from '../../src/wire/node-load';

const limits = { rise: 2, fall: 3 };
const pass: CheckOutcome = { ok: true, latencyMs: 4 };
const fail: CheckOutcome = {
  ok: false,
  failure: 'timeout',
  latencyMs: null,
  error: 'no answer within 1000 ms',
};
const sick: CheckOutcome = { ok: false, failure: 'status', latencyMs: 3, error: 'health check answered 503' };

/** Applies a sequence of checks, `+` a pass and `-` a failure, one second apart. */
function run(sequence: string, from: NodeHealth = initialHealth()): NodeHealth {
  return [...sequence].reduce(
    (health, step, index) => recordCheck(health, step === '+' ? pass : fail, 1000 * (index + 1), limits),
    from,
  );
}

describe('recordCheck', () => {
  it.each([
    ['', true, 0, 0],
    ['+', true, 1, 0],
    ['-', true, 0, 1],
    ['--', true, 0, 2],
    ['---', false, 0, 3],
    ['--+-', true, 0, 1],
    ['---+', false, 1, 0],
    ['---++', true, 2, 0],
    ['---+-+', false, 1, 0],
    ['---+-++', true, 2, 0],
  ])('checks %j leave the node up=%s with %i passes and %i failures', (sequence, up, passes, failures) => {
    expect(run(sequence)).toMatchObject({ up, passes, failures });
  });

  it('records the time, latency and error of the last check', () => {
    expect(run('+-')).toMatchObject({
      lastCheckAt: 2000,
      latencyMs: null,
      lastError: 'no answer within 1000 ms',
    });
    expect(run('-+')).toMatchObject({
      lastCheckAt: 2000,
      latencyMs: 4,
      lastError: 'no answer within 1000 ms',
    });
  });

  it('records whether the last check got an answer: a node that answers 503 is alive, a hung one is not', () => {
    expect(run('---').answering).toBe(false);
    const answeringSick = [sick, sick, sick].reduce(
      (health, outcome, index) => recordCheck(health, outcome, 1000 * (index + 1), limits),
      initialHealth(),
    );
    expect(answeringSick).toMatchObject({ up: false, answering: true });
    expect(recordCheck(answeringSick, fail, 5000, limits).answering).toBe(false);
    expect(run('---+').answering).toBe(true);
  });

  it('records each transition with its time and cause, newest first', () => {
    expect(run('---++').transitions).toEqual([
      { at: 5000, to: 'up', cause: '2 checks passed' },
      { at: 3000, to: 'down', cause: '3 consecutive failures, last: no answer within 1000 ms' },
    ]);
  });

  it(`keeps the last ${MAX_TRANSITIONS} transitions`, () => {
    const flapping = run('---++'.repeat(8));
    expect(flapping.transitions).toHaveLength(MAX_TRANSITIONS);
    expect(flapping.transitions[0]?.at).toBe(40_000);
  });
});

describe('recordPassiveFailure', () => {
  it('counts with failed checks toward HEALTH_FALL, and a passed check resets the count', () => {
    const twice = recordPassiveFailure(run('-'), 'Network connection lost.', 500);
    expect(twice).toMatchObject({
      up: true,
      failures: 2,
      lastError: 'request failed: Network connection lost.',
    });
    expect(recordPassiveFailure(run('--+'), 'x', 500)).toMatchObject({ up: true, failures: 1 });
  });

  it('never takes a node down by itself: at HEALTH_FALL it asks for a check, which decides', () => {
    let health = initialHealth();
    for (let i = 0; i < 5; i++) health = recordPassiveFailure(health, 'answered 502', 500);
    expect(health).toMatchObject({ up: true, failures: 5, transitions: [] });
    expect(needsConfirmation(recordPassiveFailure(run('-'), 'x', 500), limits)).toBe(false);
    expect(needsConfirmation(recordPassiveFailure(run('--'), 'x', 500), limits)).toBe(true);
    // The check fails too: down now, not at the next scheduled round.
    expect(recordCheck(health, fail, 9000, limits)).toMatchObject({
      up: false,
      transitions: [{ at: 9000, to: 'down' }],
    });
    // The check passes: the node only rejected some requests; it stays up and its count restarts.
    expect(recordCheck(health, pass, 9000, limits)).toMatchObject({ up: true, failures: 0, transitions: [] });
    expect(needsConfirmation(recordPassiveFailure(run('---'), 'x', 500), limits)).toBe(false);
  });
});

describe('setMode', () => {
  it('records an operator transition, and none when the mode does not change', () => {
    const draining = setMode(initialHealth(), 'draining', 7000);
    expect(draining).toMatchObject({
      mode: 'draining',
      up: true,
      transitions: [{ at: 7000, to: 'draining', cause: 'operator' }],
    });
    expect(setMode(draining, 'draining', 8000)).toBe(draining);
  });

  it('leaves health counting alone', () => {
    expect(run('---', setMode(initialHealth(), 'disabled', 0))).toMatchObject({
      mode: 'disabled',
      up: false,
    });
  });

  it('keeps a drain deadline for a drain only, and changes it without a new transition', () => {
    const draining = setMode(initialHealth(), 'draining', 1000, 61_000);
    expect(draining.drainDeadline).toBe(61_000);
    const later = setMode(draining, 'draining', 2000, 90_000);
    expect([later.drainDeadline, later.transitions.length]).toEqual([90_000, 1]);
    expect(setMode(draining, 'disabled', 3000, 99_000).drainDeadline).toBeNull();
    expect(setMode(draining, 'active', 3000).drainDeadline).toBeNull();
  });
});

describe('expireDrain', () => {
  it('disables a draining node once its deadline passed, and nothing else', () => {
    const draining = setMode(initialHealth(), 'draining', 1000, 61_000);
    expect(expireDrain(draining, 60_999)).toBe(draining);
    expect(expireDrain(draining, 61_000)).toMatchObject({
      mode: 'disabled',
      drainDeadline: null,
      transitions: [{ at: 61_000, to: 'disabled', cause: 'drain deadline passed' }, { to: 'draining' }],
    });
    const open = setMode(initialHealth(), 'draining', 1000);
    expect(expireDrain(open, 10 ** 13)).toBe(open);
    const active = initialHealth();
    expect(expireDrain(active, 10 ** 13)).toBe(active);
  });
});

/** The board's synchronous KV storage, in memory (values copied in and out, as storage does). */
function memoryKv(): SyncKvStorage {
  const data = new Map<string, unknown>();
  return {
    get<T>(key: string): T | undefined {
      return structuredClone(data.get(key)) as T | undefined;
    },
    put<T>(key: string, value: T): void {
      data.set(key, structuredClone(value));
    },
    delete(key: string): boolean {
      return data.delete(key);
    },
    *list<T>({
      prefix = '',
      limit = Number.POSITIVE_INFINITY,
    }: SyncKvListOptions = {}): Iterable<[string, T]> {
      let listed = 0;
      for (const key of [...data.keys()].sort()) {
        if (listed >= limit) return;
        if (!key.startsWith(prefix)) continue;
        listed++;
        yield [key, structuredClone(data.get(key)) as T];
      }
    },
  };
}

const nodeOf = (id: string): NodeConfig => ({
  id,
  origin: `http://${id}.example.com`,
  weight: 1,
  via: undefined,
  fetcher: { fetch },
});

describe('the board’s first round (NodeHealthStore)', () => {
  const nodes = ['a', 'b', 'c'].map(nodeOf);
  /** The board's update: read, change, store (board/board.ts `update`), at `now`. */
  const update = (store: NodeHealthStore, node: NodeConfig, now: number, outcome: CheckOutcome = pass) => {
    const { health } = store.read(node, now);
    store.put(node, recordCheck(health, outcome, now, limits));
  };
  /** One round of checks: every node updated in turn, as the board's alarm does. */
  const round = (store: NodeHealthStore, now: number) => {
    for (const node of nodes) update(store, node, now);
  };

  it('finds the nodes it starts with serving: added, but no slow start, before and after the first round', () => {
    const store = new NodeHealthStore(memoryKv());
    // Read before any check (an isolate's first snapshot).
    for (const node of nodes) {
      const { health, added } = store.read(node, 1000);
      expect(added).toBe(true);
      expect(health.transitions).toEqual([{ at: 1000, to: 'up', cause: ADDED, atStart: true }]);
      expect(servingSince(health)).toBeNull();
    }
    // The first round stores a, then reads b: b is still found at the start, not added to a running board.
    round(store, 2000);
    for (const node of nodes) {
      const { health, added } = store.read(node, 2500);
      expect(added).toBe(false);
      expect(health.transitions).toEqual([{ at: 2000, to: 'up', cause: ADDED, atStart: true }]);
      expect(servingSince(health)).toBeNull();
    }
  });

  it('finds them so when the first round is the first thing it does (no read before it)', () => {
    const store = new NodeHealthStore(memoryKv());
    round(store, 2000);
    for (const node of nodes) expect(servingSince(store.read(node, 2500).health)).toBeNull();
  });

  it('slow-starts a node added after the first round, or seen first by a board restarted on its storage', () => {
    const kv = memoryKv();
    const store = new NodeHealthStore(kv);
    round(store, 2000);
    round(store, 7000);
    const added = store.read(nodeOf('d'), 9000);
    expect(added.health.transitions).toEqual([{ at: 9000, to: 'up', cause: ADDED }]);
    expect(servingSince(added.health)).toBe(9000);
    // A new object over the same storage (the board evicted and started again) knows its nodes.
    const restarted = new NodeHealthStore(kv);
    expect(servingSince(restarted.read(nodes[0] as NodeConfig, 10_000).health)).toBeNull();
    expect(servingSince(restarted.read(nodeOf('e'), 10_000).health)).toBe(10_000);
  });

  it('slow-starts a node found at the start once it comes back after being down', () => {
    const store = new NodeHealthStore(memoryKv());
    const [a] = nodes as [NodeConfig];
    round(store, 1000);
    for (const [index, outcome] of [fail, fail, fail, pass, pass].entries())
      update(store, a, 2000 + index * 1000, outcome);
    const { health } = store.read(a, 7000);
    expect(health.transitions.map((transition) => transition.to)).toEqual(['up', 'down', 'up']);
    expect(servingSince(health)).toBe(6000);
  });

  it('slow-starts a node moved to another address after the first round', () => {
    const store = new NodeHealthStore(memoryKv());
    round(store, 1000);
    round(store, 2000);
    const moved = { ...(nodes[1] as NodeConfig), origin: 'http://b2.example.com' };
    expect(servingSince(store.read(moved, 3000).health)).toBe(3000);
  });
});
