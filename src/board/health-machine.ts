/**
 * Node health as a pure rise/fall state machine: every function takes the current state, an event
 * and the time, and returns the next state. The health board stores the result; nothing here does I/O.
 */

import type { CheckOutcome, NodeHealth, NodeMode, Transition } from '../wire/node-health';

export interface Thresholds {
  /** Passes that bring a down node back. */
  readonly rise: number;
  /** Failures that take an up node down. */
  readonly fall: number;
}

export const MAX_TRANSITIONS = 10;

/** A node nobody has checked yet counts as up: the first checks correct that within seconds. */
export function initialHealth(): NodeHealth {
  return {
    up: true,
    answering: true,
    mode: 'active',
    passes: 0,
    failures: 0,
    lastFailureAt: null,
    lastCheckAt: null,
    latencyMs: null,
    lastError: null,
    drainDeadline: null,
    transitions: [],
  };
}

/**
 * A node the board sees for the first time: up until checked, and added `now`. Added to a board that
 * knew other nodes already (a new roster entry, or a node now at another address), it starts its slow
 * start (wire/node-load.ts). Found `atStart`, when the board knew no node yet (node-health-store.ts),
 * it was serving before the board existed: it starts at its whole weight, as HAProxy's servers do
 * when HAProxy starts.
 */
export function addedHealth(now: number, atStart = false): NodeHealth {
  const added: Transition = atStart
    ? { at: now, to: 'up', cause: ADDED, atStart }
    : { at: now, to: 'up', cause: ADDED };
  return { ...initialHealth(), transitions: [added] };
}

/** The cause of a node's first transition: the board saw it for the first time. */
export const ADDED = 'added to the roster';

/**
 * Applies one active check, sent at `sentAt` (default: `now`). A pass from a check sent before the
 * node's latest failure says nothing about that failure (the node may have died in between): it is
 * recorded as a check, but resets no failure and counts as no pass.
 */
export function recordCheck(
  health: NodeHealth,
  outcome: CheckOutcome,
  now: number,
  limits: Thresholds,
  sentAt = now,
): NodeHealth {
  const checked = {
    ...health,
    lastCheckAt: now,
    latencyMs: outcome.latencyMs,
    answering: outcome.ok || outcome.failure === 'status',
  };
  if (outcome.ok && health.lastFailureAt !== null && health.lastFailureAt > sentAt) return checked;
  if (outcome.ok) {
    const passes = health.passes + 1;
    const next = { ...checked, passes, failures: 0 };
    return !health.up && passes >= limits.rise
      ? withTransition({ ...next, up: true }, now, 'up', `${passes} checks passed`)
      : next;
  }
  return recordFailure({ ...checked, lastError: outcome.error }, outcome.error, now, limits);
}

/**
 * Applies `count` failed proxied requests (refused, reset, header timeout, 502/503/504 from the node). It
 * counts with failed checks but never takes the node down by itself: a client can make a healthy node
 * drop its connection (a malformed or oversized request), and a node taken down ends every session on
 * it. Once failures reach HEALTH_FALL, {@link needsConfirmation} asks for an active check now, which a
 * dead node fails within milliseconds.
 */
export function recordPassiveFailure(health: NodeHealth, error: string, now: number, count = 1): NodeHealth {
  return {
    ...health,
    passes: 0,
    failures: health.failures + count,
    lastFailureAt: now,
    lastError: `request failed: ${error}`,
  };
}

/** An up node whose failures reached HEALTH_FALL without a verdict: check it now. */
export function needsConfirmation(health: NodeHealth, limits: Thresholds): boolean {
  return health.up && health.failures >= limits.fall;
}

function recordFailure(health: NodeHealth, cause: string, now: number, limits: Thresholds): NodeHealth {
  const failures = health.failures + 1;
  const next = { ...health, passes: 0, failures, lastFailureAt: now };
  return health.up && failures >= limits.fall
    ? withTransition({ ...next, up: false }, now, 'down', `${failures} consecutive failures, last: ${cause}`)
    : next;
}

/**
 * Sets the operator's mode; the same mode again changes nothing but a drain's deadline. A drain may
 * carry a deadline (epoch ms), after which {@link expireDrain} disables the node.
 */
export function setMode(
  health: NodeHealth,
  mode: NodeMode,
  now: number,
  drainDeadline: number | null = null,
): NodeHealth {
  const deadline = mode === 'draining' ? drainDeadline : null;
  if (health.mode === mode)
    return health.drainDeadline === deadline ? health : { ...health, drainDeadline: deadline };
  return withTransition({ ...health, mode, drainDeadline: deadline }, now, mode, 'operator');
}

/** A draining node whose deadline has passed is disabled: whatever still runs on it is ended. */
export function expireDrain(health: NodeHealth, now: number): NodeHealth {
  if (health.mode !== 'draining' || health.drainDeadline === null || health.drainDeadline > now)
    return health;
  return withTransition(
    { ...health, mode: 'disabled', drainDeadline: null },
    now,
    'disabled',
    'drain deadline passed',
  );
}

function withTransition(health: NodeHealth, at: number, to: Transition['to'], cause: string): NodeHealth {
  return { ...health, transitions: [{ at, to, cause }, ...health.transitions].slice(0, MAX_TRANSITIONS) };
}
