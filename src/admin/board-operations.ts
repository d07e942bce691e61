/**
 * What operators ask of the health board (the admin API, the status page and the metrics): reads of
 * its state, and commands whose answer the isolate's health copy adopts, so that this isolate routes
 * by an operator's change at once. Routing itself never calls these: it reads the copy
 * (worker/health-copy.ts).
 */

import type { AlertState } from '../board/alerts';
import type { RosterState } from '../board/board-roster';
import type { TrafficView } from '../board/traffic';
import type { RosterEntry } from '../config/roster-changes';
import { boardOf } from '../wire/board-stub';
import type { HealthSnapshot } from '../wire/health-snapshot';
import type { NodeMode } from '../wire/node-health';
import type { HealthBindings, HealthCopy } from '../worker/health-copy';

/** The board's current snapshot, read now (for operators, not for routing); `copy` adopts it. */
export async function readBoard(copy: HealthCopy, env: HealthBindings): Promise<HealthSnapshot> {
  const snapshot = await boardOf(env).snapshot();
  await copy.adopt(snapshot);
  return snapshot;
}

/** The roster's runtime changes as the board has them. */
export function readRoster(env: HealthBindings): Promise<RosterState> {
  return boardOf(env).rosterState();
}

/** The alert webhook's state as the board has it. */
export function readAlerts(env: HealthBindings): Promise<AlertState> {
  return boardOf(env).alertState();
}

/** Every node's traffic as the board has it. */
export function readTraffic(env: HealthBindings): Promise<TrafficView> {
  return boardOf(env).traffic();
}

/**
 * Sets a node's mode (a drain may carry a deadline, epoch ms); `copy` adopts the answer. Undefined when
 * no node has that id.
 */
export async function setNodeMode(
  copy: HealthCopy,
  env: HealthBindings,
  nodeId: string,
  mode: NodeMode,
  drainDeadline?: number,
): Promise<HealthSnapshot | undefined> {
  const snapshot = await boardOf(env).setMode(nodeId, mode, drainDeadline);
  if (snapshot) await copy.adopt(snapshot);
  return snapshot;
}

/**
 * Adds, changes (`entry`) or removes (null: once quiet or at `removalDeadline`, epoch ms; at once with
 * `force`) a roster node at the board; `copy` adopts the new roster. The board's problems, or `unknown`.
 */
export async function changeRoster(
  copy: HealthCopy,
  env: HealthBindings,
  nodeId: string,
  entry: RosterEntry | null,
  force: boolean,
  by: string,
  removalDeadline?: number,
): Promise<{ problems: readonly string[] } | { unknown: true } | { snapshot: HealthSnapshot }> {
  const result = await boardOf(env).changeRoster(nodeId, entry, force, by, removalDeadline);
  if ('snapshot' in result) await copy.adopt(result.snapshot);
  return result;
}

/** The roster is NODES again; `copy` adopts it. */
export async function resetRoster(
  copy: HealthCopy,
  env: HealthBindings,
  by: string,
): Promise<HealthSnapshot> {
  const snapshot = await boardOf(env).resetRoster(by);
  await copy.adopt(snapshot);
  return snapshot;
}
