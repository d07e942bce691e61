/**
 * What a request sends its node as a body: nothing (GET, HEAD, no body), a copy read whole that can be
 * sent again, or the client's stream, which can be sent once only.
 */
import type { Config } from '../config/config';
import { ClientBody } from './client-body';

/**
 * Does forwarding `request` (whose method is `method`) send a body? Never for GET and HEAD: fetch()
 * refuses one there, yet workerd gives a GET an empty body when its client sent `Content-Length: 0`.
 * The method is looked at first: reading `request.body` is a call into the runtime.
 */
export function sendsBody(request: Request, method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && request.body !== null;
}

export interface Outgoing {
  /** What to send as the body: the client's stream, a copy read whole, or null. */
  readonly body: BodyInit | null;
  /** Can it be sent again: no body, or a body read whole. */
  readonly replayable: boolean;
  /** A streamed body, which says how it ended when it ended early. */
  readonly streamed?: ClientBody;
}

export const NO_BODY: Outgoing = { body: null, replayable: true };

/**
 * The body of a request that sends one (`headers` are its headers, read once by the proxy): read
 * whole when its declared length is at most REPLAY_BODY_BYTES, so it can be sent again if its node
 * turns out dead; else the client's stream, which can be sent once only.
 */
export async function outgoingBody(request: Request, headers: Headers, config: Config): Promise<Outgoing> {
  const length = headers.get('content-length');
  if (length !== null && Number(length) <= config.replayBodyBytes) {
    return { body: await request.arrayBuffer(), replayable: true };
  }
  const streamed = new ClientBody(request.body as ReadableStream<Uint8Array>, config.maxBodyBytes);
  return { body: streamed.stream, replayable: false, streamed };
}
