/**
 * Choosing a node for a new session (src/worker/balance.ts): least sessions by two random choices,
 * herding across isolates that read the same counts, slow start (a weight scaled by its share) and
 * capacity.
 */
import { describe, expect, it } from 'vitest';
import { addedHealth } from '../../src/board/health-machine';
import { type Balance, type Config, parseConfig } from '../../src/config/config';
import type { NodeConfig } from '../../src/config/roster';
import type { Transition } from '../../src/wire/node-health';
import { type NodeLoad, servingSince } from '../../src/wire/node-load';
import { chooseNewSessionNode, SLOW_START_FLOOR, slowStartShare } from '../../src/worker/balance';

function configOf(nodes: unknown[]): Config {
  const result = parseConfig({ NODES: nodes });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config;
}

const three = configOf([
  { id: 'a', url: 'http://a.example.com' },
  { id: 'b', url: 'http://b.example.com' },
  { id: 'c', url: 'http://c.example.com' },
]);
const serving = () => true;

/** A seeded generator (mulberry32): the same figures on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The slow start window of these tests. */
const WINDOW_MS = 60_000;

/**
 * `sessions` new sessions placed by `isolates` isolates taking turns, each reading the counts as the
 * board last told them: the board's counts catch up every `refreshEvery` sessions (a hand-over and a
 * refresh), as a few seconds of traffic would. `slowStart`: the nodes in slow start, each with the
 * share of its weight it has (held there: time stands still in these placements).
 */
function place(
  config: Config,
  start: Record<string, number>,
  {
    sessions,
    isolates,
    refreshEvery,
    policy = 'least-sessions',
    seed = 1,
    slowStart = {},
  }: {
    sessions: number;
    isolates: number;
    refreshEvery: number;
    policy?: Balance;
    seed?: number;
    slowStart?: Record<string, number>;
  },
): Record<string, number> {
  const open = { ...start };
  let seen = { ...open };
  const got: Record<string, number> = Object.fromEntries(config.nodes.map((node) => [node.id, 0]));
  const randoms = Array.from({ length: isolates }, (_, i) => seeded(seed * 100 + i));
  for (let i = 0; i < sessions; i++) {
    if (i % refreshEvery === 0) seen = { ...open };
    const counts = seen;
    const chosen = chooseNewSessionNode(config.nodes, serving, {
      loadOf: (node) => ({ openSessions: counts[node.id] ?? 0, servingSince: sinceFor(slowStart[node.id]) }),
      balance: { policy, slowStartMs: WINDOW_MS },
      now: WINDOW_MS,
      random: randoms[i % isolates] as () => number,
    }) as NodeConfig;
    got[chosen.id] = (got[chosen.id] ?? 0) + 1;
    open[chosen.id] = (open[chosen.id] ?? 0) + 1;
  }
  return got;
}

/** When a node began serving for it to have `share` of its weight at WINDOW_MS (undefined: long ago). */
function sinceFor(share: number | undefined): number | null {
  if (share === undefined) return null;
  return WINDOW_MS - ((share - SLOW_START_FLOOR) / (1 - SLOW_START_FLOOR)) * WINDOW_MS;
}

describe('least sessions', () => {
  it('keeps new sessions off a node that holds 150 while two hold none (several isolates)', () => {
    for (const seed of [1, 2, 3]) {
      const got = place(three, { a: 150, b: 0, c: 0 }, { sessions: 90, isolates: 5, refreshEvery: 10, seed });
      expect(got.a, `seed ${seed}: ${JSON.stringify(got)}`).toBeLessThanOrEqual(9);
    }
  });

  it('spreads within 0.8-1.25x of fair under equal load, and does not herd on stale counts', () => {
    for (const seed of [1, 2, 3]) {
      // The counts never catch up during these 900 sessions: picking the least loaded node outright
      // would send all 900 to one node.
      const got = place(
        three,
        { a: 20, b: 20, c: 20 },
        { sessions: 900, isolates: 5, refreshEvery: 901, seed },
      );
      for (const count of Object.values(got)) {
        expect(count / 300, `seed ${seed}: ${JSON.stringify(got)}`).toBeGreaterThanOrEqual(0.8);
        expect(count / 300, `seed ${seed}: ${JSON.stringify(got)}`).toBeLessThanOrEqual(1.25);
      }
    }
  });

  it('evens out unequal load as the counts catch up', () => {
    const got = place(three, { a: 60, b: 30, c: 0 }, { sessions: 90, isolates: 5, refreshEvery: 10 });
    // 180 open in all after these: 60 each is level; a got none or next to none, c the most.
    expect(got.a).toBeLessThanOrEqual(5);
    expect(got.c).toBeGreaterThan(got.b ?? 0);
  });

  it('weighs the load: a node of weight 2 is as busy as one of weight 1 with half its sessions', () => {
    const weighted = configOf([
      { id: 'big', url: 'http://big.example.com', weight: 2 },
      { id: 'small', url: 'http://small.example.com' },
    ]);
    const got = place(weighted, { big: 0, small: 0 }, { sessions: 3000, isolates: 1, refreshEvery: 1 });
    expect((got.big ?? 0) / 2000).toBeGreaterThan(0.95);
    expect((got.small ?? 0) / 1000).toBeGreaterThan(0.95);
  });

  it('random (BALANCE = random) ignores the load', () => {
    const got = place(
      three,
      { a: 150, b: 0, c: 0 },
      { sessions: 900, isolates: 1, refreshEvery: 1, policy: 'random' },
    );
    expect((got.a ?? 0) / 300).toBeGreaterThan(0.8);
  });
});

describe('capacity', () => {
  const capped = configOf([
    { id: 'a', url: 'http://a.example.com', maxSessions: 10 },
    { id: 'b', url: 'http://b.example.com', maxSessions: 20 },
  ]);
  const choose = (load: Record<string, number>, random = Math.random) =>
    chooseNewSessionNode(capped.nodes, serving, {
      loadOf: (node): NodeLoad => ({ openSessions: load[node.id] ?? 0, servingSince: null }),
      balance: { policy: 'random', slowStartMs: 0 },
      now: 0,
      random,
    });

  it('sends nothing to a full node, and answers full when every node is', () => {
    const random = seeded(7);
    for (let i = 0; i < 200; i++) expect(choose({ a: 10, b: 3 }, random)).toMatchObject({ id: 'b' });
    expect(choose({ a: 10, b: 20 })).toBe('full');
    expect(choose({ a: 11, b: 25 })).toBe('full');
  });

  it('is no node (not full) when none serves', () => {
    expect(chooseNewSessionNode(capped.nodes, () => false, { ...placementAt(0), random: Math.random })).toBe(
      undefined,
    );
  });
});

function placementAt(now: number, since: number | null = null, policy: Balance = 'random') {
  return {
    loadOf: (node: NodeConfig): NodeLoad => ({
      openSessions: 0,
      servingSince: node.id === 'a' ? since : null,
    }),
    balance: { policy, slowStartMs: 60_000 },
    now,
  };
}

describe('slow start', () => {
  const at = (to: Transition['to'], time: number): Transition => ({ at: time, to, cause: '' });

  it('grows a node’s share linearly from the floor to its whole weight over the window', () => {
    expect(slowStartShare(0, 0, 60_000)).toBe(SLOW_START_FLOOR);
    expect(slowStartShare(0, 30_000, 60_000)).toBeCloseTo(SLOW_START_FLOOR + (1 - SLOW_START_FLOOR) / 2);
    expect(slowStartShare(0, 60_000, 60_000)).toBe(1);
    expect(slowStartShare(null, 0, 60_000)).toBe(1);
    expect(slowStartShare(0, 0, 0)).toBe(1);
    expect(slowStartShare(sinceFor(0.25), WINDOW_MS, WINDOW_MS)).toBeCloseTo(0.25);
  });

  it.each([
    [0, SLOW_START_FLOOR],
    [30_000, 0.55],
    [60_000, 1],
  ])(
    'a node up %d ms of 60 s among two warm ones, all idle, is drawn by its weight x %d',
    (elapsed, share) => {
      for (const policy of ['random', 'least-sessions'] as const) {
        const random = seeded(11);
        let toA = 0;
        const SESSIONS = 30_000;
        for (let i = 0; i < SESSIONS; i++) {
          const chosen = chooseNewSessionNode(three.nodes, serving, {
            ...placementAt(elapsed, 0, policy),
            random,
          });
          if (typeof chosen === 'object' && chosen.id === 'a') toA++;
        }
        // Its effective weight is `share` against 1 + 1: 0.048, 0.216 and a third of the sessions.
        const expected = share / (share + 2);
        expect(toA / SESSIONS, policy).toBeGreaterThan(expected * 0.93);
        expect(toA / SESSIONS, policy).toBeLessThan(expected * 1.07);
      }
    },
  );

  it('never leaves a loaded node to win alone: every node slow-starting at once changes nothing', () => {
    // The old rule's failure: each node in the running with probability = share, and the loaded one
    // alone in the running about 8 % of the time (0.1 x 0.9 x 0.9), winning however loaded it was.
    for (const seed of [1, 2, 3, 4, 5]) {
      const got = place(
        three,
        { a: 150, b: 0, c: 0 },
        { sessions: 90, isolates: 5, refreshEvery: 10, seed, slowStart: { a: 0.1, b: 0.1, c: 0.1 } },
      );
      expect(got.a, `seed ${seed}: ${JSON.stringify(got)}`).toBe(0);
    }
  });

  it('lets a loaded slow-starting node beat an idle warm one no more often than its scaled weight', () => {
    const two = configOf([
      { id: 'a', url: 'http://a.example.com' },
      { id: 'b', url: 'http://b.example.com' },
    ]);
    const SESSIONS = 20_000;
    const random = place(
      two,
      { a: 50, b: 0 },
      {
        sessions: SESSIONS,
        isolates: 1,
        refreshEvery: SESSIONS + 1,
        policy: 'random',
        slowStart: { a: 0.1 },
      },
    );
    // Random ignores the load: a wins as often as its effective weight says, 0.1 / 1.1 = 9.1 %.
    expect((random.a ?? 0) / SESSIONS).toBeGreaterThan(0.085);
    expect((random.a ?? 0) / SESSIONS).toBeLessThan(0.097);
    const least = place(
      two,
      { a: 50, b: 0 },
      { sessions: SESSIONS, isolates: 1, refreshEvery: SESSIONS + 1, slowStart: { a: 0.1 } },
    );
    expect(least.a).toBe(0);
  });

  it('fills an idle slow-starting node up to its share of a warm node’s load per unit of weight', () => {
    const two = configOf([
      { id: 'a', url: 'http://a.example.com' },
      { id: 'b', url: 'http://b.example.com' },
    ]);
    for (const seed of [1, 2, 3]) {
      const got = place(
        two,
        { a: 0, b: 150 },
        { sessions: 300, isolates: 5, refreshEvery: 10, seed, slowStart: { a: 0.1 } },
      );
      // 450 open in all: level per effective weight is a / 0.1 = b, so a holds about 41 and b 409.
      // Without slow start a would take 225 of the 300 (level at 225 each).
      const [a, b] = [got.a ?? 0, 150 + (got.b ?? 0)];
      expect(a, `seed ${seed}: ${JSON.stringify(got)}`).toBeGreaterThanOrEqual(30);
      expect(a, `seed ${seed}: ${JSON.stringify(got)}`).toBeLessThanOrEqual(50);
      expect(a / b, `seed ${seed}: ${JSON.stringify(got)}`).toBeLessThan(0.125);
    }
    const warm = place(two, { a: 0, b: 150 }, { sessions: 300, isolates: 5, refreshEvery: 10 });
    expect(warm.a ?? 0).toBeGreaterThan(200);
  });

  it('compares sessions per unit of effective weight: a node at half share is busy at half the sessions', () => {
    const two = configOf([
      { id: 'a', url: 'http://a.example.com' },
      { id: 'b', url: 'http://b.example.com' },
    ]);
    // 10 sessions at share 0.5 are 20 per unit of effective weight, more than b's 15 (beyond the tie).
    const got = place(
      two,
      { a: 10, b: 15 },
      { sessions: 1000, isolates: 1, refreshEvery: 1001, slowStart: { a: 0.5 } },
    );
    expect(got.a).toBe(0);
  });

  it('starts when a node comes up, is enabled or is added; not when it is undrained', () => {
    expect(servingSince({ transitions: [] })).toBeNull();
    expect(servingSince({ transitions: [at('up', 5), at('down', 3)] })).toBe(5);
    expect(servingSince({ transitions: [at('active', 9), at('disabled', 7), at('up', 5)] })).toBe(9);
    expect(servingSince({ transitions: [at('active', 9), at('draining', 7), at('up', 5)] })).toBe(5);
    expect(servingSince({ transitions: [at('active', 9), at('draining', 7)] })).toBeNull();
    // Added to a running board: slow start from then.
    expect(servingSince(addedHealth(5))).toBe(5);
  });

  it('never starts for a node the board found at its start: it has its whole weight at once', () => {
    const found = addedHealth(5, true);
    expect(servingSince(found)).toBeNull();
    expect(slowStartShare(servingSince(found), 5, 60_000)).toBe(1);
    const [first] = found.transitions as [Transition];
    // It went down and came back, or was disabled and enabled: that does start one.
    expect(servingSince({ transitions: [at('up', 40), at('down', 20), first] })).toBe(40);
    expect(servingSince({ transitions: [at('active', 30), at('disabled', 20), first] })).toBe(30);
    expect(servingSince({ transitions: [at('active', 30), at('draining', 20), first] })).toBeNull();
  });
});
