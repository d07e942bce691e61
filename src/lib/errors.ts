/**
 * Errors the router answers with: every one is a JSON body `{ error, message, ...details }` with a
 * known status, mapped by {@link errorResponse} for the proxy and the operations app alike. Clients never
 * see a stack.
 */
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { logEvent } from './log';

export class EdgeError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    /** Stable machine-readable code, e.g. `node_unreachable`. */
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(status, { message });
  }

  toResponse(): Response {
    return Response.json(
      { error: this.code, message: this.message, ...this.details },
      { status: this.status, headers: this.headers },
    );
  }
}

/**
 * Any error as the JSON answer a client gets; unexpected ones become a bare 500 and are logged (our
 * own errors are answers, not failures, and the request's log line already has them).
 */
export function errorResponse(error: unknown): Response {
  if (!(error instanceof HTTPException)) logEvent('unhandled error', { error: String(error) }, 'error');
  if (error instanceof EdgeError) return error.toResponse();
  if (error instanceof HTTPException) {
    return new EdgeError(error.status, 'http_error', error.message || 'request failed').toResponse();
  }
  return new EdgeError(500, 'internal_error', 'the router failed to handle this request').toResponse();
}
