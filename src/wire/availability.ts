/**
 * What routing may do with each node, derived from a health snapshot: the one predicate through which
 * choosing a node reads health.
 */

import type { OnMarkedDown } from '../config/health-config';
import type { NodeConfig } from '../config/roster';
import type { HealthSnapshot } from './health-snapshot';
import type { NodeHealth } from './node-health';

/**
 * `serving`: takes new and pinned sessions. `draining`: keeps its pinned sessions, takes no new ones.
 * `unavailable`: down or disabled; its sessions go elsewhere, where they end cleanly, and whatever is
 * still open on it (waiting requests, streams, WebSockets) is ended.
 */
export type Availability = 'serving' | 'draining' | 'unavailable';

export type AvailabilityOf = (node: NodeConfig) => Availability;

const everyoneServes: AvailabilityOf = () => 'serving';
/**
 * One predicate per snapshot: a snapshot serves many requests, and is never changed. (`onMarkedDown`
 * is config, fixed for an isolate's life; it is kept with the predicate only to stay correct if not.)
 */
const predicates = new WeakMap<HealthSnapshot, { onMarkedDown: OnMarkedDown; predicate: AvailabilityOf }>();

/** Without a snapshot (the board was never reached) every node counts as serving. */
export function availabilityFrom(
  snapshot: HealthSnapshot | undefined,
  onMarkedDown: OnMarkedDown,
): AvailabilityOf {
  if (!snapshot) return everyoneServes;
  let cached = predicates.get(snapshot);
  if (cached?.onMarkedDown !== onMarkedDown) {
    cached = { onMarkedDown, predicate: predicateOf(snapshot, onMarkedDown) };
    predicates.set(snapshot, cached);
  }
  return cached.predicate;
}

/** What a node's health and mode allow (the board reads it too, to tell the socket gates). */
export function availabilityOf(health: NodeHealth, onMarkedDown: OnMarkedDown): Availability {
  if (health.mode === 'disabled') return 'unavailable';
  if (!health.up) return onMarkedDown === 'drain' && health.answering ? 'draining' : 'unavailable';
  return health.mode === 'draining' ? 'draining' : 'serving';
}

/** A node the snapshot does not list was removed from the roster: whatever is open on it ends. */
function predicateOf(snapshot: HealthSnapshot, onMarkedDown: OnMarkedDown): AvailabilityOf {
  const byId = new Map(snapshot.nodes.map((status) => [status.id, status]));
  return (node) => {
    const status = byId.get(node.id);
    return status ? availabilityOf(status, onMarkedDown) : 'unavailable';
  };
}
