/**
 * One word per node for people (the status page, the status JSON, the metrics' `state` label): what
 * routing does with it now.
 */
import type { NodeStatus } from '../wire/health-snapshot';

export type NodeState = 'up' | 'down' | 'draining' | 'disabled';

export const NODE_STATES: readonly NodeState[] = ['up', 'down', 'draining', 'disabled'];

export function stateOf(node: NodeStatus): NodeState {
  if (node.mode === 'disabled') return 'disabled';
  if (!node.up) return 'down';
  return node.mode === 'draining' ? 'draining' : 'up';
}
