/**
 * How much of a request body the router reads before it is sent (src/worker/outgoing-body.ts), with
 * real Requests over real streams: a body of unknown length is read whole up to REPLAY_BODY_BYTES,
 * and past that it streams with what was read first, pulled by its reader, never buffered whole.
 */
import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/config';
import { BodyEndedEarly, outgoingBody } from '../../src/worker/outgoing-body';

const LIMIT = 1024;
const CHUNK = 100;

function configWith(vars: Record<string, unknown> = {}): Config {
  const result = parseConfig({
    NODES: [{ id: 'a', url: 'http://a.example.com' }],
    REPLAY_BODY_BYTES: LIMIT,
    ...vars,
  });
  if (!result.ok) throw new Error(result.problems.join());
  return result.config;
}

/** A chunked body of `size` bytes (byte i is i % 251) in chunks of CHUNK, and how many were pulled. */
function chunked(size: number) {
  const pulled = { chunks: 0 };
  let at = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (at >= size) return controller.close();
        const chunk = Uint8Array.from({ length: Math.min(CHUNK, size - at) }, (_, i) => (at + i) % 251);
        at += chunk.byteLength;
        pulled.chunks++;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  const request = new Request('http://router.test/cobrowse/cometd', {
    method: 'POST',
    body: stream,
    duplex: 'half',
  } as RequestInit);
  return { request, pulled };
}

const expected = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);

describe('a body of unknown length', () => {
  it('of exactly REPLAY_BODY_BYTES is read whole: the bytes sent, and it can be sent again', async () => {
    const { request } = chunked(LIMIT);
    const out = await outgoingBody(request, request.headers, configWith());
    expect(out.replayable).toBe(true);
    expect(out.body).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(out.body as ArrayBuffer)).toEqual(expected(LIMIT));
  });

  it('one byte over streams, what was read first, and is pulled only as it is read', async () => {
    const size = 50 * LIMIT + 1;
    const { request, pulled } = chunked(size);
    const out = await outgoingBody(request, request.headers, configWith());
    expect(out.replayable).toBe(false);
    expect(out.body).toBeInstanceOf(ReadableStream);
    // Read up to the first chunk past the limit, and not one more until the node reads.
    const read = Math.ceil((LIMIT + 1) / CHUNK);
    expect(pulled.chunks).toBe(read);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pulled.chunks).toBe(read);
    const sent = new Uint8Array(await new Response(out.body as ReadableStream).arrayBuffer());
    expect(sent).toEqual(expected(size));
  });

  it('with REPLAY_BODY_BYTES 0, only an empty one is read whole', async () => {
    const empty = chunked(0).request;
    expect((await outgoingBody(empty, empty.headers, configWith({ REPLAY_BODY_BYTES: 0 }))).replayable).toBe(
      true,
    );
    const one = chunked(1).request;
    const out = await outgoingBody(one, one.headers, configWith({ REPLAY_BODY_BYTES: 0 }));
    expect(out.replayable).toBe(false);
    expect(new Uint8Array(await new Response(out.body as ReadableStream).arrayBuffer())).toEqual(expected(1));
  });

  it('over MAX_BODY_BYTES while it is read whole is refused before any node ', async () => {
    const { request } = chunked(600);
    const refused = await outgoingBody(request, request.headers, configWith({ MAX_BODY_BYTES: 500 })).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(BodyEndedEarly);
    expect((refused as BodyEndedEarly).how).toBe('too-large');
  });

  it('counts what was read first toward MAX_BODY_BYTES once it streams', async () => {
    const { request } = chunked(3 * LIMIT);
    const out = await outgoingBody(request, request.headers, configWith({ MAX_BODY_BYTES: 2 * LIMIT }));
    await expect(new Response(out.body as ReadableStream).arrayBuffer()).rejects.toThrow();
    expect(out.streamed?.ended).toBe('too-large');
  });

  it("that its client stops sending is the client's doing (400)", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        controller.error(new Error('reset'));
      },
    });
    const request = new Request('http://router.test/', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const refused = await outgoingBody(request, request.headers, configWith()).catch(
      (error: unknown) => error,
    );
    expect((refused as BodyEndedEarly).how).toBe('client-stopped');
  });
});
