/**
 * What routing may do with each node, derived from a health snapshot: the one predicate through which
 * choosing a node reads health.
 */
import type { NodeConfig } from '../config/config';
import type { HealthSnapshot } from './board';

/**
 * `serving`: takes new and pinned sessions. `draining`: keeps its pinned sessions, takes no new ones.
 * `unavailable`: down or disabled; its sessions go elsewhere, where they end cleanly.
 */
export type Availability = 'serving' | 'draining' | 'unavailable';

export type AvailabilityOf = (node: NodeConfig) => Availability;

const everyoneServes: AvailabilityOf = () => 'serving';
/** One predicate per snapshot: a snapshot serves many requests, and is never changed. */
const predicates = new WeakMap<HealthSnapshot, AvailabilityOf>();

/** Without a snapshot (the board was never reached) every node counts as serving. */
export function availabilityFrom(snapshot: HealthSnapshot | undefined): AvailabilityOf {
  if (!snapshot) return everyoneServes;
  let predicate = predicates.get(snapshot);
  if (!predicate) {
    predicate = predicateOf(snapshot);
    predicates.set(snapshot, predicate);
  }
  return predicate;
}

function predicateOf(snapshot: HealthSnapshot): AvailabilityOf {
  const byId = new Map(snapshot.nodes.map((status) => [status.id, status]));
  return (node) => {
    const status = byId.get(node.id);
    if (!status) return 'serving';
    if (!status.up || status.mode === 'disabled') return 'unavailable';
    return status.mode === 'draining' ? 'draining' : 'serving';
  };
}
