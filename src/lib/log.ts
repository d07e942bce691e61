/**
 * Structured logs: one JSON object per line, `msg` first, the form Workers Logs indexes field by field.
 * Every line the router writes goes through {@link logEvent}.
 */
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
