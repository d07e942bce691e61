/**
 * The health settings (HEALTH_* and ON_MARKED_DOWN): what the health board checks, how often, and what
 * a node marked down means for its sessions; their defaults and how they are read (config.ts reads
 * the rest).
 */
import type { FieldReader } from './fields';

/**
 * What happens to the sessions of a node marked down by its health checks while it still answers them
 * (with a failing status). `shutdown-sessions` (default): like any down node, it gets nothing, and its
 * waiting requests and open WebSockets are ended so their clients reconnect and are told the session
 * ended. `drain`: it is treated as draining: its pinned traffic, sockets included, stays with it; it
 * gets no new sessions. A node whose checks time out or are refused is shut down either way.
 */
export type OnMarkedDown = 'shutdown-sessions' | 'drain';

/** Active and passive health checking, applied by the health board. */
export interface HealthConfig {
  /** Path of the active check on every node. Default `/cobrowse/health`. */
  readonly path: string;
  /** Time between two active checks of a node. Default 2000 ms. */
  readonly intervalMs: number;
  /** Time one active check may take before it fails. Default 1000 ms. */
  readonly timeoutMs: number;
  /** Consecutive passed checks that bring a down node back. Default 2. */
  readonly rise: number;
  /** Consecutive failures (checks or proxied requests) that take a node down. Default 2. */
  readonly fall: number;
  /** Statuses of a passing check, as `[min, max]` ranges. Default `2xx`. */
  readonly expect: readonly (readonly [number, number])[];
  /** Sessions of a node marked down that still answers its checks. Default `shutdown-sessions`. */
  readonly onMarkedDown: OnMarkedDown;
}

export const HEALTH_DEFAULTS = {
  HEALTH_PATH: '/cobrowse/health',
  // A hung node is down after about HEALTH_INTERVAL_MS x HEALTH_FALL + HEALTH_TIMEOUT_MS = 5 s; a
  // refusing node at its first failed requests. nginx's sample waits 5 s per request instead.
  HEALTH_INTERVAL_MS: 2000,
  HEALTH_TIMEOUT_MS: 1000,
  HEALTH_RISE: 2,
  HEALTH_FALL: 2,
  HEALTH_EXPECT: '2xx',
  ON_MARKED_DOWN: 'shutdown-sessions',
} as const;

const PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)+$/;

/** The health settings, each problem recorded in `read` (a timeout longer than the interval too). */
export function parseHealth(read: FieldReader): HealthConfig {
  const intervalMs = read.integer('HEALTH_INTERVAL_MS', HEALTH_DEFAULTS.HEALTH_INTERVAL_MS, 200, 3_600_000);
  const timeoutMs = read.integer('HEALTH_TIMEOUT_MS', HEALTH_DEFAULTS.HEALTH_TIMEOUT_MS, 50, 600_000);
  if (timeoutMs > intervalMs) {
    read.problems.push(
      `HEALTH_TIMEOUT_MS: must not exceed HEALTH_INTERVAL_MS (${timeoutMs} > ${intervalMs})`,
    );
  }
  return {
    path: read.string(
      'HEALTH_PATH',
      HEALTH_DEFAULTS.HEALTH_PATH,
      PATH,
      'an absolute path like /cobrowse/health',
    ),
    intervalMs,
    timeoutMs,
    rise: read.integer('HEALTH_RISE', HEALTH_DEFAULTS.HEALTH_RISE, 1, 100),
    fall: read.integer('HEALTH_FALL', HEALTH_DEFAULTS.HEALTH_FALL, 1, 100),
    expect: read.statusRanges('HEALTH_EXPECT', HEALTH_DEFAULTS.HEALTH_EXPECT),
    onMarkedDown: read.string(
      'ON_MARKED_DOWN',
      HEALTH_DEFAULTS.ON_MARKED_DOWN,
      /^(shutdown-sessions|drain)$/,
      'shutdown-sessions or drain',
    ) as OnMarkedDown,
  };
}
