/**
 * Structured logs: one JSON object per line, the form Workers Logs indexes field by field.
 */
import type { LogRequests } from './config';
import type { RouteReason } from './routing';

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

/** Writes the request's log line, unless LOG_REQUESTS leaves it out. */
export function logRequest(entry: RequestLog, mode: LogRequests): void {
  if (mode === 'off' || (mode === 'errors' && isRoutine(entry))) return;
  console.log(JSON.stringify({ msg: 'request', ...entry }));
}

export function logConfig(level: 'error' | 'warn', message: string, items: readonly string[]): void {
  console[level](JSON.stringify({ msg: message, items }));
}
