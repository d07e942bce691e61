/**
 * Node health as a pure rise/fall state machine: every function takes the current state, an event
 * and the time, and returns the next state. The health board stores the result; nothing here does I/O.
 */

/** Operator's choice for a node: `draining` keeps its sessions but takes no new ones, `disabled` gets nothing. */
export type NodeMode = 'active' | 'draining' | 'disabled';

export interface Transition {
  /** Epoch ms. */
  readonly at: number;
  /** What the node became: a health state or a mode. */
  readonly to: 'up' | 'down' | NodeMode;
  readonly cause: string;
  /**
   * Set on the first transition of a node the board found at its start (it knew nothing of the node
   * before): the node was serving already, so this began nothing and starts no slow start
   * (wire/node-load.ts `servingSince`). Absent on every other transition.
   */
  readonly atStart?: true;
}

export interface NodeHealth {
  readonly up: boolean;
  /**
   * Did the node's last active check get an HTTP answer (whatever its status)? A down node that still
   * answers is alive and may be serving its sessions (see `ON_MARKED_DOWN`); one that does not is dead
   * or hung.
   */
  readonly answering: boolean;
  readonly mode: NodeMode;
  /** Consecutive passed active checks. */
  readonly passes: number;
  /** Consecutive failures: failed active checks and failed proxied requests alike. */
  readonly failures: number;
  /** When the last failure (a check or a request) was recorded, epoch ms; null before any. */
  readonly lastFailureAt: number | null;
  readonly lastCheckAt: number | null;
  readonly latencyMs: number | null;
  readonly lastError: string | null;
  /**
   * When a drain with a deadline disables the node (epoch ms), as Cloudflare Load Balancing's
   * `drain_duration` does; null for a drain without one, and in every other mode.
   */
  readonly drainDeadline: number | null;
  /** Newest first, at most {@link MAX_TRANSITIONS}. */
  readonly transitions: readonly Transition[];
}

export interface Thresholds {
  /** Passes that bring a down node back. */
  readonly rise: number;
  /** Failures that take an up node down. */
  readonly fall: number;
}

/**
 * One active check. A failed one says how: `status` (the node answered with an unexpected status),
 * `timeout` (no answer in time), `unreachable` (refused or reset).
 */
export type CheckOutcome =
  | { readonly ok: true; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly failure: 'status' | 'timeout' | 'unreachable';
      readonly latencyMs: number | null;
      readonly error: string;
    };

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
