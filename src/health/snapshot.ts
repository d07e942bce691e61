/**
 * The Worker's view of the health board: a per-isolate copy of its snapshot, so a request never
 * waits on the Durable Object (one object serves about 1,000 requests/s; this router must serve
 * more).
 *
 * A copy younger than FRESH_MS is used as it is. One up to STALE_MS old is still used while a refresh
 * runs in the background: under steady traffic copies never get older than that, so no request waits.
 * An older copy (an isolate's first request, or the first after an idle spell) is refreshed first,
 * waiting at most COLD_WAIT_MS. When the board cannot be reached, routing goes on from the last copy,
 * or with every node up.
 */

import { logEvent } from '../log';
import type { HealthBoard, HealthSnapshot } from './board';
import type { NodeMode } from './state';

const FRESH_MS = 1000;
const STALE_MS = 2 * FRESH_MS;
const COLD_WAIT_MS = 250;
const BOARD_NAME = 'health';

export interface HealthBindings {
  readonly HEALTH: DurableObjectNamespace<HealthBoard>;
}

/** The part of a request's execution context this module needs. */
type Background = Pick<ExecutionContext, 'waitUntil'>;

let copy: { snapshot: HealthSnapshot; fetchedAt: number } | undefined;
let refreshing: Promise<void> | undefined;

function board(env: HealthBindings): DurableObjectStub<HealthBoard> {
  return env.HEALTH.get(env.HEALTH.idFromName(BOARD_NAME));
}

function keep(snapshot: HealthSnapshot): void {
  if (!copy || snapshot.takenAt >= copy.snapshot.takenAt) copy = { snapshot, fetchedAt: Date.now() };
}

function unreachable(action: string) {
  return (error: unknown) => logEvent('health board unreachable', { action, error: String(error) }, 'error');
}

function refresh(env: HealthBindings): Promise<void> {
  refreshing ??= board(env)
    .snapshot()
    .then(keep, unreachable('snapshot'))
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

/** The latest known health, or undefined when the board has never been reached. */
export async function readHealth(env: HealthBindings, ctx: Background): Promise<HealthSnapshot | undefined> {
  const age = copy ? Date.now() - copy.fetchedAt : Number.POSITIVE_INFINITY;
  if (age > STALE_MS) {
    let timer = 0;
    await Promise.race([refresh(env), new Promise((resolve) => (timer = setTimeout(resolve, COLD_WAIT_MS)))]);
    clearTimeout(timer);
  } else if (age > FRESH_MS) {
    ctx.waitUntil(refresh(env));
  }
  return copy?.snapshot;
}

/** The board's current snapshot, read now (for operators, not for routing). */
export async function readBoard(env: HealthBindings): Promise<HealthSnapshot> {
  const snapshot = await board(env).snapshot();
  keep(snapshot);
  return snapshot;
}

/** Sets a node's mode; this isolate routes by it at once. Undefined when no node has that id. */
export async function setNodeMode(
  env: HealthBindings,
  nodeId: string,
  mode: NodeMode,
): Promise<HealthSnapshot | undefined> {
  const snapshot = await board(env).setMode(nodeId, mode);
  if (snapshot) keep(snapshot);
  return snapshot;
}

/** Reports a failed request off the response path; the board's answer refreshes this isolate's copy. */
export function reportFailure(env: HealthBindings, ctx: Background, nodeId: string, error: string): void {
  ctx.waitUntil(board(env).reportFailure(nodeId, error).then(keep, unreachable('reportFailure')));
}
