/**
 * A request's log line: its fields, and whether it gets one under LOG_REQUESTS (lib/log.ts writes it).
 */
import type { LogRequests } from '../config/config';
import type { RouteReason } from '../wire/route-reason';

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
export function isRoutine(entry: Pick<RequestLog, 'reason' | 'status' | 'failure'>): boolean {
  const routed = entry.reason === 'sticky' || entry.reason === 'url' || entry.reason === 'balanced';
  return routed && entry.failure === undefined && entry.status < 500;
}

/** A request's line is written whole, or sampled (marked with its rate). */
const WHOLE = Object.freeze({});

/**
 * Does a request get its log line under LOG_REQUESTS (`mode`)? Undefined when not; else the fields
 * that mark it: with `errors`, a routine request ({@link isRoutine}) is logged at `sampleRate`, its line
 * marked with that rate. Decided before the line is built: most requests build none.
 */
export function requestLine(
  routine: boolean,
  mode: LogRequests,
  sampleRate: number,
): { readonly sampleRate?: number } | undefined {
  if (mode === 'off') return undefined;
  if (mode === 'all' || !routine) return WHOLE;
  return Math.random() < sampleRate ? { sampleRate } : undefined;
}
