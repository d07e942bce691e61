/**
 * Passive failure reports of this isolate, batched per node: at most one report per node is on its
 * way to the health board; failures that happen meanwhile wait, counted by kind, and go as one report
 * when it lands, and no sooner than BATCH_INTERVAL_MS after the one before, unless a connection was
 * refused or reset among them. A node answering 503 to 1,000 requests a second thus costs the board
 * about two calls a second per isolate, not a thousand; a dead node is found as fast as before: its
 * first failure goes at once, and its second (refused too), which asks for a check now, as soon as the
 * first is answered.
 */

/** The least time between two reports of a node that only answered with errors. */
export const BATCH_INTERVAL_MS = 500;
/** A failure of this kind (refused, reset) may mean the node died: it never waits for the interval. */
const URGENT_KIND = 'unreachable';

/** Failures waiting for a node's report in flight: how many of each kind, and the last one's text. */
interface Waiting {
  count: number;
  kinds: Record<string, number>;
  lastError: string;
}

/** Sends one report: `count` failures of `nodeId`, `error` describing them. */
export type SendReport = (nodeId: string, count: number, error: string) => Promise<void>;

export class FailureReports {
  /** Nodes with a report in flight, and what waits for it. */
  private readonly inFlight = new Map<string, Waiting | undefined>();

  /** `wait`: resolves after that many ms (a timer; passed in for tests). */
  constructor(
    private readonly send: SendReport,
    private readonly wait: (ms: number) => Promise<unknown> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /**
   * Reports one failure of `kind` at `nodeId`. Returns the promise of the report it started, to keep
   * alive with `waitUntil`; undefined when it joined a report in flight.
   */
  report(nodeId: string, kind: string, error: string): Promise<void> | undefined {
    if (this.inFlight.has(nodeId)) {
      const waiting = this.inFlight.get(nodeId) ?? { count: 0, kinds: {}, lastError: error };
      waiting.count++;
      waiting.kinds[kind] = (waiting.kinds[kind] ?? 0) + 1;
      waiting.lastError = error;
      this.inFlight.set(nodeId, waiting);
      return undefined;
    }
    return this.flush(nodeId, 1, error);
  }

  /** Sends `count` failures, then whatever waited meanwhile, one report at a time. */
  private async flush(nodeId: string, count: number, error: string): Promise<void> {
    this.inFlight.set(nodeId, undefined);
    const sentAt = Date.now();
    try {
      await this.send(nodeId, count, error);
      const waiting = this.inFlight.get(nodeId);
      // Still counted as in flight while it waits: more failures join this batch.
      if (waiting && !waiting.kinds[URGENT_KIND]) await this.wait(sentAt + BATCH_INTERVAL_MS - Date.now());
    } finally {
      const waiting = this.inFlight.get(nodeId);
      this.inFlight.delete(nodeId);
      if (waiting) await this.flush(nodeId, waiting.count, describe(waiting));
    }
  }
}

/** `3 failures (2 status, 1 unreachable), last: answered 503`. */
function describe({ count, kinds, lastError }: Waiting): string {
  if (count === 1) return lastError;
  const byKind = Object.entries(kinds)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return `${count} failures (${byKind}), last: ${lastError}`;
}
