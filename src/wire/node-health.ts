/**
 * A node's health as the board keeps it and sends it to every isolate (wire/health-snapshot.ts), and
 * the outcome of one check of a node (wire/node-probe.ts). The board's state machine that changes it
 * is board/health-machine.ts.
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
  /** Newest first, at most MAX_TRANSITIONS (board/health-machine.ts). */
  readonly transitions: readonly Transition[];
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
