/**
 * What choosing a node for a new session reads besides availability, derived from a health snapshot:
 * each node's open sessions, as the board sums them over every isolate and socket gate, and since when
 * it takes new sessions (for slow start). A leaf: it imports types only.
 */
import type { NodeConfig } from '../config/roster';
import type { HealthSnapshot, NodeStatus } from './health-snapshot';

export interface NodeLoad {
  /**
   * The node's open sessions: WebSockets the gates hold (those open: their ends are reported) and
   * requests waiting for response headers (long-polls), summed over the isolates and gates the board
   * heard from within GAUGE_TTL_MS; a few seconds old at most. Bodies streaming to clients are not
   * sessions.
   */
  readonly openSessions: number;
  /**
   * When the node last began taking new sessions (came up, was enabled, or was added to a running
   * board); null: long ago, or serving since before the board started.
   */
  readonly servingSince: number | null;
}

export type LoadOf = (node: NodeConfig) => NodeLoad;

const NO_LOAD: NodeLoad = Object.freeze({ openSessions: 0, servingSince: null });

/** Has a node with `openSessions` reached its `maxSessions` (none: never)? The one capacity rule. */
export function atCapacity(openSessions: number, maxSessions: number | null | undefined): boolean {
  return maxSessions !== null && maxSessions !== undefined && openSessions >= maxSessions;
}

/** Without a snapshot (the board was never reached) every node counts as idle and warm. */
export const noLoad: LoadOf = () => NO_LOAD;

/** One function per snapshot: a snapshot serves many requests, and is never changed. */
const loads = new WeakMap<HealthSnapshot, LoadOf>();

export function loadFrom(snapshot: HealthSnapshot | undefined): LoadOf {
  if (!snapshot) return noLoad;
  let loadOf = loads.get(snapshot);
  if (!loadOf) {
    const byId = new Map(
      snapshot.nodes.map((status): [string, NodeLoad] => [
        status.id,
        { openSessions: status.openSessions ?? 0, servingSince: servingSince(status) },
      ]),
    );
    loadOf = (node) => byId.get(node.id) ?? NO_LOAD;
    loads.set(snapshot, loadOf);
  }
  return loadOf;
}

/**
 * When the node last began taking new sessions: its newest transition to `up`, or to `active` out of
 * `disabled` (an operator enabled it; out of `draining` it was warm all along). Null when its kept
 * transitions show neither, or when its newest `up` is the board finding it at its start (`atStart`:
 * it served before the board knew it; slow start is for a node coming back, as in HAProxy, which
 * never slow-starts its servers when it starts).
 */
export function servingSince(status: Pick<NodeStatus, 'transitions'>): number | null {
  const { transitions } = status;
  for (let i = 0; i < transitions.length; i++) {
    const transition = transitions[i];
    if (transition?.to === 'up') return transition.atStart ? null : transition.at;
    if (transition?.to === 'active' && transitions[i + 1]?.to === 'disabled') return transition.at;
  }
  return null;
}
