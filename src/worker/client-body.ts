/**
 * A client's streamed request body (one too large or of unknown length to be read whole), sent on to
 * the node as it arrives, pulled one chunk at a time (the node's reading paces the client), that
 * remembers how it ended: so a request that failed because its client stopped sending is not blamed
 * on the node, and a body over MAX_BODY_BYTES stops before the node has more than that.
 */

/** What ended a body early. */
export type BodyEnd = 'client-stopped' | 'too-large';

export class ClientBody {
  /** Set when the body ended early, and why. */
  ended: BodyEnd | undefined;
  readonly stream: ReadableStream<Uint8Array>;
  private readonly stopper = new AbortController();
  /**
   * Aborts when the body ends early: the fetch that sends it must abort with it. Measured: when the
   * stream of a fetch's body errors, workerd ends the request body as if it were complete (the node
   * received a whole, empty chunked body and answered 200), so the error alone would hand the node a
   * truncated body as a finished one. Aborting the fetch first drops the connection instead.
   */
  readonly stopped = this.stopper.signal;

  /**
   * `read` is the client's body, of which `prefix` was already taken (by a read that stopped at
   * REPLAY_BODY_BYTES): the node gets the prefix first, then the rest as the client sends it.
   * `maxBytes` 0: no limit; the prefix counts toward it.
   */
  constructor(read: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number, prefix: Uint8Array[] = []) {
    let sent = 0;
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            // Each prefix chunk is let go once the node has it.
            const held = prefix.shift();
            chunk = held ? { done: false, value: held } : await read.read();
          } catch (error) {
            this.stop('client-stopped');
            controller.error(error);
            return;
          }
          if (chunk.done) return controller.close();
          sent += chunk.value.byteLength;
          if (maxBytes > 0 && sent > maxBytes) {
            this.stop('too-large');
            read.cancel().catch(() => {});
            return controller.error(new Error(`the request body is larger than ${maxBytes} bytes`));
          }
          controller.enqueue(chunk.value);
        },
        cancel: (reason) => read.cancel(reason),
      },
      // No read-ahead: a chunk is taken from the client only when the node wants one.
      { highWaterMark: 0 },
    );
  }

  private stop(why: BodyEnd): void {
    this.ended = why;
    this.stopper.abort(why);
  }
}
