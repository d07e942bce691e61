/**
 * How often traffic counts travel from the router isolates to the health board (worker/tally.ts),
 * and how long the board trusts an isolate's gauges (board/traffic.ts): the two must agree.
 */

/**
 * Longest a count waits in an isolate before a hand-over is started for it. Health refreshes mostly
 * come from the location's shared copy (worker/shared-copy.ts), so this is what bounds the board's
 * calls per isolate: one per HAND_OVER_MS while it counts or has work open, none when idle.
 */
export const HAND_OVER_MS = 5000;

/**
 * An isolate's gauges count while it was heard from this recently: one with work open or gauges that
 * changed reports every HAND_OVER_MS, so an isolate silent this long has nothing open, or is gone.
 */
export const GAUGE_TTL_MS = 3 * HAND_OVER_MS;
