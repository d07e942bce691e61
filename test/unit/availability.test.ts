import { expect, it } from 'vitest';
import { initialHealth } from '../../src/board/health-machine';
import type { NodeConfig } from '../../src/config/roster';
import { availabilityFrom } from '../../src/wire/availability';
import type { HealthSnapshot, NodeStatus } from '../../src/wire/health-snapshot';
import type { NodeMode } from '../../src/wire/node-health';

const node = (id: string): NodeConfig => ({
  id,
  origin: `http://${id}.example.com`,
  weight: 1,
  via: undefined,
  fetcher: globalThis,
});
const status = (id: string, up: boolean, mode: NodeMode, answering = true): NodeStatus => ({
  ...initialHealth(),
  id,
  origin: `http://${id}.example.com`,
  weight: 1,
  via: null,
  up,
  answering,
  mode,
});
const snapshotOf = (...nodes: NodeStatus[]): HealthSnapshot => ({ takenAt: 0, calls: 0, nodes });

it.each([
  [true, 'active', 'serving'],
  [true, 'draining', 'draining'],
  [true, 'disabled', 'unavailable'],
  [false, 'active', 'unavailable'],
  [false, 'draining', 'unavailable'],
  [false, 'disabled', 'unavailable'],
] as const)('a node up=%s in mode %s is %s', (up, mode, expected) => {
  const snapshot = snapshotOf(status('a', up, mode));
  expect(availabilityFrom(snapshot, 'shutdown-sessions')(node('a'))).toBe(expected);
});

it.each([
  // A down node that still answers its checks keeps its pinned sessions under `drain`...
  [true, 'active', 'draining'],
  [true, 'draining', 'draining'],
  // ...but not when it no longer answers, and never when an operator disabled it.
  [false, 'active', 'unavailable'],
  [true, 'disabled', 'unavailable'],
] as const)(
  'under ON_MARKED_DOWN=drain, a down node answering=%s in mode %s is %s',
  (answering, mode, expected) => {
    const snapshot = snapshotOf(status('a', false, mode, answering));
    expect(availabilityFrom(snapshot, 'drain')(node('a'))).toBe(expected);
    expect(availabilityFrom(snapshot, 'shutdown-sessions')(node('a'))).toBe('unavailable');
  },
);

it('counts every node as serving without a snapshot, and one the snapshot does not list as removed', () => {
  expect(availabilityFrom(undefined, 'shutdown-sessions')(node('a'))).toBe('serving');
  expect(availabilityFrom(snapshotOf(), 'shutdown-sessions')(node('gone'))).toBe('unavailable');
});

it('builds one predicate per snapshot, not one per request', () => {
  const snapshot = snapshotOf(status('a', true, 'active'));
  const of = (each: HealthSnapshot) => availabilityFrom(each, 'shutdown-sessions');
  expect(of(snapshot)).toBe(of(snapshot));
  expect(of({ ...snapshot })).not.toBe(of(snapshot));
});
