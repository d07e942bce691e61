/**
 * One Workers Analytics Engine data point per proxied request, for the per-location history the
 * health board does not keep (README "Operating it" has SQL for it). Written only when the
 * `TRAFFIC` binding (`[[analytics_engine_datasets]]`) is configured; the write is fire and forget,
 * buffered by the runtime, with no I/O on the request path.
 *
 * Layout (SQL columns): index1 and blob1 the node; blob2 why it was chosen; blob3 the status class
 * the client got; blob4 the Cloudflare location (the CF-Ray suffix, `local` in local runs); blob5
 * `websocket` or `http`; double1 the status; double2 the time to response headers in ms.
 */
import type { RouteReason } from '../proxy/route-reason';

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
  dataset: AnalyticsEngineDataset | undefined,
  point: RequestPoint,
  ctx: Pick<ExecutionContext, 'waitUntil'>,
): void {
  if (!dataset) return;
  const pending: unknown = dataset.writeDataPoint({
    indexes: [point.node],
    blobs: [
      point.node,
      point.reason,
      `${Math.floor(point.status / 100)}xx`,
      locationOf(point.requestId),
      point.webSocket ? 'websocket' : 'http',
    ],
    doubles: [point.status, point.durationMs],
  });
  if (pending !== undefined) ctx.waitUntil(Promise.resolve(pending));
}
