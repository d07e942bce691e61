/**
 * What a request sends its node as a body: nothing (GET, HEAD, no body), a copy read whole that can be
 * sent again, or the client's stream, which can be sent once only.
 */
import type { Config } from '../config/config';
import { type BodyEnd, ClientBody } from './client-body';

/**
 * Does forwarding `request` (whose method is `method`) send a body? Never for GET and HEAD: fetch()
 * refuses one there, yet workerd gives a GET an empty body when its client sent `Content-Length: 0`.
 * The method is looked at first: reading `request.body` is a call into the runtime.
 */
export function sendsBody(request: Request, method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && request.body !== null;
}

export interface Outgoing {
  /** What to send as the body: the client's stream, a copy read whole (an ArrayBuffer), or null. */
  readonly body: BodyInit | null;
  /** Can it be sent again: no body, or a body read whole. */
  readonly replayable: boolean;
  /** A streamed body, which says how it ended when it ended early. */
  readonly streamed?: ClientBody;
}

export const NO_BODY: Outgoing = { body: null, replayable: true };

/**
 * The body of a request that sends one (`headers` are its headers, read once by the proxy), read
 * whole when it has at most REPLAY_BODY_BYTES, so it can be sent again if its node turns out dead and
 * the rate limits can read its messages (session-start.ts); else the client's stream, which can be
 * sent once only. A declared length decides at once. A body of unknown length (chunked) is read up to
 * one chunk past the limit, never more: past it, what was read goes first and the rest streams.
 */
export async function outgoingBody(request: Request, headers: Headers, config: Config): Promise<Outgoing> {
  const length = headers.get('content-length');
  const limit = config.replayBodyBytes;
  if (length !== null && Number(length) <= limit) {
    return { body: await request.arrayBuffer(), replayable: true };
  }
  const read = (request.body as ReadableStream<Uint8Array>).getReader();
  const prefix: Uint8Array[] = [];
  if (length === null) {
    const max = config.maxBodyBytes;
    let bytes = 0;
    for (;;) {
      const chunk = await read.read().catch(() => {
        throw new BodyEndedEarly('client-stopped');
      });
      if (chunk.done) return { body: await new Blob(prefix).arrayBuffer(), replayable: true };
      prefix.push(chunk.value);
      bytes += chunk.value.byteLength;
      // MAX_BODY_BYTES holds here too: admission could check only a declared length.
      if (max > 0 && bytes > max) {
        read.cancel().catch(() => {});
        throw new BodyEndedEarly('too-large');
      }
      if (bytes > limit) break;
    }
  }
  const streamed = new ClientBody(read, config.maxBodyBytes, prefix);
  return { body: streamed.stream, replayable: false, streamed };
}

/** A body of unknown length ended early while it was read (`how`): the client's doing (proxy-errors.ts bodyEnded). */
export class BodyEndedEarly extends Error {
  constructor(readonly how: BodyEnd) {
    super(`the request body ended early: ${how}`);
  }
}
