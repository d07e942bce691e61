import { expect, it } from 'vitest';
import type { NodeConfig } from '../../src/config/config';
import { availabilityFrom } from '../../src/health/availability';
import type { HealthSnapshot, NodeStatus } from '../../src/health/board';
import { initialHealth, type NodeMode } from '../../src/health/state';

const node = (id: string): NodeConfig => ({ id, origin: `http://${id}.example.com`, weight: 1 });
const status = (id: string, up: boolean, mode: NodeMode): NodeStatus => ({
  ...initialHealth(),
  id,
  origin: `http://${id}.example.com`,
  weight: 1,
  up,
  mode,
});

it.each([
  [true, 'active', 'serving'],
  [true, 'draining', 'draining'],
  [true, 'disabled', 'unavailable'],
  [false, 'active', 'unavailable'],
  [false, 'draining', 'unavailable'],
  [false, 'disabled', 'unavailable'],
] as const)('a node up=%s in mode %s is %s', (up, mode, expected) => {
  const snapshot: HealthSnapshot = { takenAt: 0, calls: 0, nodes: [status('a', up, mode)] };
  expect(availabilityFrom(snapshot)(node('a'))).toBe(expected);
});

it('counts every node as serving without a snapshot, and a node missing from it too', () => {
  expect(availabilityFrom(undefined)(node('a'))).toBe('serving');
  expect(availabilityFrom({ takenAt: 0, calls: 0, nodes: [] })(node('new'))).toBe('serving');
});

it('builds one predicate per snapshot, not one per request', () => {
  const snapshot: HealthSnapshot = { takenAt: 0, calls: 0, nodes: [status('a', true, 'active')] };
  expect(availabilityFrom(snapshot)).toBe(availabilityFrom(snapshot));
  expect(availabilityFrom({ ...snapshot })).not.toBe(availabilityFrom(snapshot));
});
