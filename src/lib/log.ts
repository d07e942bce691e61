/**
 * Structured logs: one JSON object per line, `msg` first, the form Workers Logs indexes field by field.
 * Every line the router writes goes through {@link logEvent}.
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

/**
 * The id of a request, for its log line and its node: Cloudflare's CF-Ray when there is one (it ties
 * our line to Cloudflare's own), else a UUID. A client's own X-Request-Id is never trusted.
 */
export function requestIdOf(headers: Headers): string {
  return headers.get('cf-ray') ?? crypto.randomUUID();
}

/** Writes one log line: `msg` and the event's fields. */
export function logEvent(msg: string, fields: object, level: 'log' | 'warn' | 'error' = 'log'): void {
  console[level](JSON.stringify({ msg, ...fields }));
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

/**
 * At most one line per `everyMs` for a condition that may repeat on every request (a binding down):
 * the first tells the operator, the rest would only flood the log. Its state belongs to its owner
 * (the isolate's `gateTrouble`); time is passed in.
 */
export class LogThrottle {
  private loggedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly everyMs: number) {}

  /** Should a line be written at `now`? If so, the next one waits `everyMs`. */
  due(now: number): boolean {
    if (now - this.loggedAt < this.everyMs) return false;
    this.loggedAt = now;
    return true;
  }
}
