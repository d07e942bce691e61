/**
 * Structured logs: one JSON object per line, `msg` first, the form Workers Logs indexes field by field.
 * Every line the router writes goes through {@link logEvent}.
 */
import type { LogRequests } from './config/config';
import type { RouteReason } from './proxy/route-reason';

export interface RequestLog {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** Node id that was sent the request, or null when none was chosen. */
  readonly node: string | null;
  readonly reason: RouteReason | null;
  /** Status the client got. */
  readonly status: number;
  /** Time until the response headers were ready, in ms: streams and sockets go on after it. */
  readonly durationMs: number;
  readonly webSocket: boolean;
  /** Why the node failed, when it did. */
  readonly failure?: string;
  /** Nodes that failed before this one was tried. */
  readonly retriedFrom?: readonly string[];
}

/** A request that went where it should and was answered without a gateway error. */
export function isRoutine(entry: RequestLog): boolean {
  const routed = entry.reason === 'sticky' || entry.reason === 'url' || entry.reason === 'balanced';
  return routed && entry.failure === undefined && entry.status < 500;
}

/**
 * The id of a request, for its log line and its node: Cloudflare's CF-Ray when there is one (it ties
 * our line to Cloudflare's own), else a UUID. A client's own X-Request-Id is never trusted.
 */
export function requestIdOf(request: Request): string {
  return request.headers.get('cf-ray') ?? crypto.randomUUID();
}

/** Writes one log line: `msg` and the event's fields. */
export function logEvent(msg: string, fields: object, level: 'log' | 'warn' | 'error' = 'log'): void {
  console[level](JSON.stringify({ msg, ...fields }));
}

/** Writes the request's log line, unless LOG_REQUESTS leaves it out. */
export function logRequest(entry: RequestLog, mode: LogRequests): void {
  if (mode === 'off' || (mode === 'errors' && isRoutine(entry))) return;
  logEvent('request', entry);
}
