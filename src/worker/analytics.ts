/**
 * Workers Analytics Engine data points of proxied requests, for the per-location history the health
 * board does not keep (docs/operating.md "Traffic" has SQL for it). Written only when the `TRAFFIC` binding
 * (`[[analytics_engine_datasets]]`) is configured; the write is fire and forget, buffered by the
 * runtime, with no I/O on the request path.
 *
 * Sampled, with the weight in the point: every failure, retry and owner-down request is written
 * (weight 1); of routine requests, one in every 1/ANALYTICS_SAMPLE_RATE of each kind (node, reason,
 * status class) is written, with that interval as its weight, from a random phase per kind and
 * isolate. So `SUM(double3)` counts requests exactly to within one interval per kind and isolate,
 * without bias, at a twentieth of the points by default (docs/costs.md "What it costs").
 *
 * Layout (SQL columns): index1 and blob1 the node; blob2 why it was chosen; blob3 the status class
 * the client got; blob4 the Cloudflare location (the CF-Ray suffix, `local` in local runs); blob5
 * `websocket` or `http`; double1 the status; double2 the time to response headers in ms; double3 the
 * point's weight (how many requests it stands for).
 */
import type { RouteReason } from '../wire/route-reason';

export interface RequestPoint {
  readonly node: string;
  readonly reason: RouteReason;
  readonly status: number;
  /** This request's id: its CF-Ray when it has one, whose suffix names the location. */
  readonly requestId: string;
  readonly webSocket: boolean;
  readonly durationMs: number;
}

/** The Cloudflare location of a CF-Ray (`8f1e2d3c4b5a6978-LHR`), or `local`. */
function locationOf(requestId: string): string {
  const dash = requestId.lastIndexOf('-');
  return dash > 0 && dash >= requestId.length - 5 ? requestId.slice(dash + 1) : 'local';
}

/**
 * Writes `point` into `dataset`. The platform's dataset buffers the write and returns nothing; a
 * dataset reached over RPC instead (the tests' stand-in) returns a promise, which is kept alive past
 * the response, or the call would be cancelled with its request.
 */
export function writeRequestPoint(
  dataset: AnalyticsEngineDataset,
  point: RequestPoint,
  weight: number,
  ctx: Pick<ExecutionContext, 'waitUntil'>,
): void {
  const pending: unknown = dataset.writeDataPoint({
    indexes: [point.node],
    blobs: [
      point.node,
      point.reason,
      `${Math.floor(point.status / 100)}xx`,
      locationOf(point.requestId),
      point.webSocket ? 'websocket' : 'http',
    ],
    doubles: [point.status, point.durationMs, weight],
  });
  if (pending !== undefined) ctx.waitUntil(Promise.resolve(pending));
}

/**
 * Which routine points this isolate writes (one PointSampler, owned by the isolate: src/worker/isolate.ts):
 * per kind, a count and the phase at which one of every `interval` is written.
 */
export class PointSampler {
  private readonly kinds = new Map<string, { seen: number; phase: number }>();

  /**
   * Command and answer: one more routine request of `kind`; the weight to write its point with (the
   * interval), or 0 when it is not written. `rate` 1 writes every point, 0 none.
   */
  weightOf(kind: string, rate: number): number {
    if (rate >= 1) return 1;
    if (rate <= 0) return 0;
    const interval = Math.round(1 / rate);
    let counted = this.kinds.get(kind);
    if (!counted) {
      counted = { seen: 0, phase: Math.floor(Math.random() * interval) };
      this.kinds.set(kind, counted);
    }
    const written = counted.seen % interval === counted.phase;
    counted.seen++;
    return written ? interval : 0;
  }
}
