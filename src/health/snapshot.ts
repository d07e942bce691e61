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
 *
 * While work is open on a node (a request waiting, a stream, a WebSocket), that work calls
 * {@link refreshWhenDue} so the copy stays at most FRESH_MS old even without new requests, and every
 * newer copy is handed to the {@link onSnapshot} listeners, which end the work of nodes that went away.
 */

import { logEvent } from '../log';
import { HAND_OVER_MS, handOverDue, hasCounts, takeReport } from '../telemetry/tally';
import type { TrafficView } from '../telemetry/traffic';
import type { HealthBoard, HealthSnapshot } from './board';
import type { NodeMode } from './state';

/** Also the refresh period while work is open: at most one board call per isolate per second. */
const FRESH_MS = 1000;
const STALE_MS = 2 * FRESH_MS;
const COLD_WAIT_MS = 250;
/** A refresh that takes longer is given up, so a hung board cannot stop this isolate's refreshes. */
const REFRESH_LIMIT_MS = 2000;
const BOARD_NAME = 'health';

/** The one binding this module needs: the health board. */
export type HealthBindings = Pick<Env, 'HEALTH'>;

/** The part of a request's execution context this module needs. */
type Background = Pick<ExecutionContext, 'waitUntil'>;

let copy: { snapshot: HealthSnapshot; fetchedAt: number } | undefined;
let refreshing: Promise<void> | undefined;
const listeners = new Set<(snapshot: HealthSnapshot) => void>();

function board(env: HealthBindings): DurableObjectStub<HealthBoard> {
  return env.HEALTH.get(env.HEALTH.idFromName(BOARD_NAME));
}

function keep(snapshot: HealthSnapshot): void {
  if (copy && snapshot.takenAt < copy.snapshot.takenAt) return;
  copy = { snapshot, fetchedAt: Date.now() };
  for (const listener of listeners) listener(snapshot);
}

/** Calls `listener` with every newer snapshot this isolate learns, for the isolate's life. */
export function onSnapshot(listener: (snapshot: HealthSnapshot) => void): void {
  listeners.add(listener);
}

/** The newest snapshot this isolate has, without refreshing it. */
export function latestSnapshot(): HealthSnapshot | undefined {
  return copy?.snapshot;
}

function unreachable(action: string) {
  return (error: unknown) => logEvent('health board unreachable', { action, error: String(error) }, 'error');
}

/** Waits at most `ms` for `promise`; the timer is cleared when the promise wins. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer = 0;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * One refresh at a time per isolate, shared by every request that wants it. The request that starts it
 * keeps it alive with `waitUntil`: a refresh whose request ended would never settle, and `refreshing`
 * would then block this isolate's refreshes for good.
 */
function refresh(env: HealthBindings, ctx: Background): Promise<void> {
  if (!refreshing) {
    const call = board(env).snapshot(takeReport()).then(keep, unreachable('snapshot'));
    refreshing = within(call, REFRESH_LIMIT_MS).finally(() => {
      refreshing = undefined;
    });
    ctx.waitUntil(refreshing);
  }
  return refreshing;
}

function age(): number {
  return copy ? Date.now() - copy.fetchedAt : Number.POSITIVE_INFINITY;
}

/** The latest known health, or undefined when the board has never been reached. */
export async function readHealth(env: HealthBindings, ctx: Background): Promise<HealthSnapshot | undefined> {
  const copyAge = age();
  if (copyAge > STALE_MS) await within(refresh(env, ctx), COLD_WAIT_MS);
  else if (copyAge > FRESH_MS) refresh(env, ctx);
  return copy?.snapshot;
}

/**
 * For open work: starts a refresh when the copy is FRESH_MS old (one per isolate, however much work is
 * open), and returns the time until the next one is due, for the caller's timer.
 */
export function refreshWhenDue(env: HealthBindings, ctx: Background): number {
  const dueIn = FRESH_MS - age();
  if (dueIn > 0) return dueIn;
  refresh(env, ctx);
  // Look again shortly: by then the refresh has landed, and the next one is a period away.
  return FRESH_MS / 10;
}

/**
 * After a request was counted: makes sure its counts reach the board within HAND_OVER_MS, in a refresh
 * (which a busy isolate makes about once a second anyway and which carries them), however many
 * requests are counted meanwhile.
 */
export function handOverSoon(env: HealthBindings, ctx: Background): void {
  if (!handOverDue()) return;
  ctx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, HAND_OVER_MS)).then(() =>
      hasCounts() ? refresh(env, ctx) : undefined,
    ),
  );
}

/** The board's current snapshot, read now (for operators, not for routing). */
export async function readBoard(env: HealthBindings): Promise<HealthSnapshot> {
  const snapshot = await board(env).snapshot();
  keep(snapshot);
  return snapshot;
}

/** Every node's traffic as the board has it (for operators). */
export function readTraffic(env: HealthBindings): Promise<TrafficView> {
  return board(env).traffic();
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
