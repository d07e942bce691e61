/** The reasons routing gives: shared by routing, the log, the counts and analytics (a leaf). */

/**
 * Why a request went to its node; written to the log line of every request. `owner-down`: its pinned
 * node is down or disabled (or went while the request waited), so another node ends the session and
 * tells the clients. `retry`: a request without a pin whose first node failed before answering, sent
 * again where that is safe (worker/failover.ts).
 */
export type RouteReason = 'url' | 'sticky' | 'balanced' | 'owner-down' | 'retry';
