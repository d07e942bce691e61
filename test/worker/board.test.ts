/**
 * The health board with real alarms and real storage, checking real nodes. The alarm is parked an
 * hour ahead before a board's first use, so every check round here is one that the test ran.
 */
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { expect, it } from 'vitest';
import type { HealthBoard } from '../../src/board/board';
import { AT, COUNTERS } from '../../src/wire/counts';
import { pathsSeenBy } from './demo-nodes';

const HOUR = 3_600_000;
let boards = 0;

/** A board of its own for one test, with its alarm parked an hour ahead. */
async function freshBoard(): Promise<DurableObjectStub<HealthBoard>> {
  const stub = env.HEALTH.get(env.HEALTH.idFromName(`board-test-${++boards}`));
  await runInDurableObject(stub, (_board, state) => state.storage.setAlarm(Date.now() + HOUR));
  return stub;
}

async function round(stub: DurableObjectStub<HealthBoard>): Promise<void> {
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

/** Health probes the `ok` node has received so far. */
async function probesOfOk(): Promise<number> {
  return (await pathsSeenBy('ok')).filter((path) => path === '/cobrowse/health').length;
}

/**
 * Starts a round of checks and resolves once its probes are out (the `ok` node answered its own), with
 * the round and whether it has ended: it still waits for the hung node's check (HEALTH_TIMEOUT_MS).
 */
async function roundUnderWay(stub: DurableObjectStub<HealthBoard>) {
  const before = await probesOfOk();
  const state = { ended: false };
  const round = runDurableObjectAlarm(stub).finally(() => {
    state.ended = true;
  });
  await expect.poll(probesOfOk).toBeGreaterThan(before);
  return { round, state };
}

async function statusOf(stub: DurableObjectStub<HealthBoard>, id: string) {
  const snapshot = await stub.snapshot();
  return snapshot.nodes.find((node) => node.id === id);
}

it('arms its alarm on first use', async () => {
  const stub = env.HEALTH.get(env.HEALTH.idFromName('board-test-first-use'));
  expect(await runInDurableObject(stub, (_board, state) => state.storage.getAlarm())).toBeNull();
  await stub.snapshot();
  expect(await runInDurableObject(stub, (_board, state) => state.storage.getAlarm())).not.toBeNull();
});

it('starts every node up, unchecked', async () => {
  const stub = await freshBoard();
  const snapshot = await stub.snapshot();
  expect(snapshot.nodes.map(({ id, up, mode, lastCheckAt }) => ({ id, up, mode, lastCheckAt }))).toEqual([
    { id: 'ok', up: true, mode: 'active', lastCheckAt: null },
    { id: 'sick', up: true, mode: 'active', lastCheckAt: null },
    { id: 'hung', up: true, mode: 'active', lastCheckAt: null },
    { id: 'refused', up: true, mode: 'active', lastCheckAt: null },
  ]);
});

it('takes failing nodes down after HEALTH_FALL checks, each with its cause, and keeps the healthy one up', async () => {
  const stub = await freshBoard();
  await round(stub);
  expect(await statusOf(stub, 'sick')).toMatchObject({
    up: true,
    failures: 1,
    lastError: 'health check answered 503',
  });
  await round(stub);
  const snapshot = await stub.snapshot();
  const byId = Object.fromEntries(snapshot.nodes.map((node) => [node.id, node]));
  expect(byId.ok).toMatchObject({
    up: true,
    passes: 2,
    failures: 0,
    lastError: null,
    latencyMs: expect.any(Number),
  });
  // Every node's first transition: the board saw it for the first time (its slow start began).
  expect(byId.sick).toMatchObject({
    up: false,
    failures: 2,
    transitions: [{ to: 'down' }, { to: 'up', cause: 'added to the roster' }],
  });
  expect(byId.hung).toMatchObject({ up: false, lastError: 'no answer within 300 ms' });
  expect(byId.refused).toMatchObject({ up: false, lastError: expect.stringMatching(/^unreachable: /) });
  expect(byId.refused?.transitions[0]?.cause).toMatch(/^2 consecutive failures, last: unreachable: /);
});

it('re-arms its alarm even when a check round throws', async () => {
  const stub = await freshBoard();
  await runInDurableObject(stub, (board) => {
    Object.assign(board, {
      checkAll: () => {
        throw new Error('probe exploded');
      },
    });
  });
  const before = Date.now();
  await expect(runDurableObjectAlarm(stub)).rejects.toThrow('probe exploded');
  const alarm = await runInDurableObject(stub, (_board, state) => state.storage.getAlarm());
  expect(alarm).toBeGreaterThanOrEqual(before + HOUR - 1000);
});

it('after HEALTH_FALL passive failures, checks now: a refusing node goes down, a healthy one stays', async () => {
  const stub = await freshBoard();
  for (const id of ['refused', 'ok']) {
    expect(
      (await stub.reportFailure(id, 'Network connection lost.')).nodes.find((node) => node.id === id),
    ).toMatchObject({
      up: true,
      failures: 1,
    });
    await stub.reportFailure(id, 'Network connection lost.');
  }
  // The next round, an hour away, was brought forward to now.
  const alarm = await runInDurableObject(stub, (_board, state) => state.storage.getAlarm());
  expect(alarm).toBeLessThanOrEqual(Date.now());
  await round(stub);
  expect(await statusOf(stub, 'refused')).toMatchObject({
    up: false,
    transitions: [
      { to: 'down', cause: expect.stringMatching(/^3 consecutive failures, last: unreachable: /) },
      { to: 'up', cause: 'added to the roster' },
    ],
  });
  expect(await statusOf(stub, 'ok')).toMatchObject({
    up: true,
    failures: 0,
    transitions: [{ to: 'up', cause: 'added to the roster' }],
  });
});

it('ignores reports about nodes outside the roster', async () => {
  const stub = await freshBoard();
  const snapshot = await stub.reportFailure('evil', 'x');
  expect(snapshot.nodes.map((node) => node.id)).toEqual(['ok', 'sick', 'hung', 'refused']);
  expect(await stub.setMode('evil', 'disabled')).toBeUndefined();
});

it('drains, disables and enables a node, and keeps that through an eviction', async () => {
  const stub = await freshBoard();
  expect((await stub.setMode('ok', 'draining'))?.nodes[0]?.mode).toBe('draining');
  expect((await stub.setMode('ok', 'disabled'))?.nodes[0]?.mode).toBe('disabled');
  await evictDurableObject(stub);
  const status = await statusOf(stub, 'ok');
  expect(status?.mode).toBe('disabled');
  expect(status?.transitions.map((transition) => transition.to)).toEqual(['disabled', 'draining', 'up']);
  expect((await stub.setMode('ok', 'active'))?.nodes[0]?.mode).toBe('active');
});

it('keeps the traffic isolates hand over through an eviction; their gauges only while they report', async () => {
  const stub = await freshBoard();
  const sticky = (count: number) => {
    const row = new Array<number>(COUNTERS).fill(0);
    row[AT.reason('sticky')] = count;
    return row;
  };
  await stub.snapshot({ isolate: 'a', counts: { ok: sticky(3) }, gauges: { ok: [1, 0] } });
  await stub.snapshot({ isolate: 'b', counts: { ok: sticky(2), sick: sticky(1) }, gauges: { ok: [0, 1] } });
  const before = (await stub.traffic()).nodes.find((node) => node.id === 'ok');
  expect([before?.totals.requests.sticky, before?.heldWebSockets, before?.inFlight]).toEqual([5, 1, 1]);
  await evictDurableObject(stub);
  const after = await stub.traffic();
  const ok = after.nodes.find((node) => node.id === 'ok');
  expect(ok?.totals.requests.sticky).toBe(5);
  expect(ok?.history.reduce((total, bucket) => total + (bucket[0] ?? 0), 0)).toBe(5);
  expect(after.nodes.find((node) => node.id === 'sick')?.totals.requests.sticky).toBe(1);
  // Gauges live in memory: after an eviction they come back with each isolate's next report.
  expect([ok?.heldWebSockets, ok?.inFlight]).toEqual([0, 0]);
});

it('keeps failures reported during a round of checks: a pass from a probe sent before them erases nothing', async () => {
  // The round waits for the hung node's check (HEALTH_TIMEOUT_MS, 300 ms here): reports land meanwhile.
  const stub = await freshBoard();
  const { round, state } = await roundUnderWay(stub);
  await stub.reportFailure('ok', 'Network connection lost.');
  // The report landed during the round, or this test proves nothing.
  expect(state.ended).toBe(false);
  expect(await round).toBe(true);
  // Today's code reset it to 0 with the pass of the probe sent at the round's start.
  expect(await statusOf(stub, 'ok')).toMatchObject({ up: true, failures: 1 });
});

it('runs the check asked for during a round right after it, not a whole interval later', async () => {
  const stub = await freshBoard();
  const { round, state } = await roundUnderWay(stub);
  // HEALTH_FALL (2) failures: a check now is asked for, while the round's probes are still out.
  await stub.reportFailure('ok', 'Network connection lost.');
  await stub.reportFailure('ok', 'Network connection lost.');
  expect(state.ended).toBe(false);
  const endedAt = Date.now();
  expect(await round).toBe(true);
  // The next round follows at once (the interval here is an hour): it checks `ok` again.
  const checkedAfter = async () => (await statusOf(stub, 'ok'))?.lastCheckAt ?? 0;
  await expect.poll(checkedAfter, { timeout: 3000 }).toBeGreaterThan(endedAt);
});
