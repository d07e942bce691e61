/**
 * Sends one client request to one node and returns the node's answer, streaming both ways, and keeps
 * whatever stays open on the node (the wait for headers, a streamed body) watched, so that it ends as
 * soon as the node goes. A WebSocket handshake goes through a socket gate (socket-gates.ts), which
 * holds the power to cut the socket; the socket itself is piped natively, never touched here.
 */
import type { NodeConfig } from '../config/roster';
import { AT } from '../wire/counts';
import type { AttemptOutcome } from './failover';
import { adaptResponseHeaders, REQUEST_ID_HEADER, upstreamRequestHeaders } from './headers';
import type { Watch } from './in-flight';
import type { RequestHead } from './request-head';
import type { Lease, Tally, WorkPhase } from './tally';

/** Response header that names the node which served the request. */
const SERVED_BY_HEADER = 'x-cobrowse-node';

/**
 * A request still waiting for headers after this long is watched. Quick answers (nearly all of them)
 * never are: their one timer is cleared before it fires, as the header timer alone was before.
 */
const WATCH_AFTER_MS = 250;

/**
 * Response bodies longer than this, or of unknown length (streams), are watched while they flow; a
 * shorter one arrives in one go with its headers.
 */
const WATCHED_BODY_BYTES = 65_536;

/**
 * How long open work counts without a sign of life: a request counts from the moment it is watched
 * (WATCH_AFTER_MS, or its body streams), and its watch renews the lease at least once a second while
 * the request lives. If the platform cancels the invocation (its client left), no code after an await
 * runs, the timer stops with it, and the work leaves the gauge this long after.
 *
 * Two gauges (wire/counts.ts): a request counts as waiting until its response headers arrive,
 * then as streaming while its body flows. Only waiting is an open session of the node (with its
 * WebSockets): the load new sessions are balanced by and `maxSessions` counts. A body flowing to a
 * slow reader holds nothing of the node's but a send buffer; counted as sessions, 40 unread 50 MB
 * bodies filled two nodes of 20 and turned new visitors away with `cluster_full`.
 *
 * Quick answers never count: a request answered within WATCH_AFTER_MS is only noise in the load
 * (caught by a hand-over by chance, counted 5 s). It also saves every quick request a lease (measured
 * once by leaving it out: about 20,000 of a sticky GET's 3.7 million estimated cycles, BENCHMARKS.md).
 */
const LEASE_MS = 5000;

export interface ForwardOptions {
  /** The request as the proxy read it: its node gets `target`. */
  readonly head: RequestHead;
  /** Does the node get `head.requestId` as `X-Request-Id` (REQUEST_ID_TO_NODES)? The client always does. */
  readonly requestIdToNode: boolean;
  /** What to send as the body: the client's stream, a copy read whole, or null. */
  readonly body: BodyInit | null;
  /** Time the node has to send response headers: a last resort, above the longest long-poll hold. */
  readonly headerTimeoutMs: number;
  /**
   * Starts watching the node for this request (in-flight.ts, bound to this request's env and context);
   * `alive` is called on each of the watch's ticks while the request lives.
   */
  readonly watch: (node: NodeConfig, alive: () => void) => Watch;
  /** Keeps a watched body's request alive while it flows. */
  readonly ctx: Pick<ExecutionContext, 'waitUntil'>;
  /** The isolate's counts: open work (waiting, streaming), sockets that bypassed the gates. */
  readonly tally: Tally;
  /** Aborts when a streamed request body ended early (client-body.ts): the attempt ends with it. */
  readonly bodyStopped: AbortSignal | undefined;
  /**
   * Sends a WebSocket handshake through a socket gate (socket-gates.ts, bound to this request's env
   * and config): the node's answer or failure, or undefined when no gate can be reached.
   */
  readonly throughGate: (
    node: NodeConfig,
    target: string,
    headers: Headers,
  ) => Promise<AttemptOutcome | undefined>;
}

/**
 * Forwards `request` (whose parsed URL is `incomingUrl`) to `node`. Bodies are passed as streams, never
 * read here: a 10 MB DOM snapshot or an endless stream flows through chunk by chunk. Redirects are
 * returned to the client, not followed.
 *
 * The header limit covers the wait for response headers only, so a long body or an open WebSocket
 * afterwards is never cut by it; the node going is what cuts them.
 */
export async function forward(
  request: Request,
  incomingUrl: URL,
  node: NodeConfig,
  options: ForwardOptions,
): Promise<AttemptOutcome> {
  const { head } = options;
  const headers = upstreamRequestHeaders(head.headers, {
    clientIp: head.headers.get('cf-connecting-ip') ?? undefined,
    url: incomingUrl,
    requestId: options.requestIdToNode ? head.requestId : undefined,
    webSocket: head.webSocket,
  });
  if (head.webSocket) {
    // Waiting while the gate waits for the node's 101 (at most the header limit): a session opening.
    const handshake = options.tally.openWork(node.id, options.headerTimeoutMs + LEASE_MS);
    const gated = await options.throughGate(node, head.target, headers).finally(() => handshake.end());
    if (gated)
      return gated.ok ? { ok: true, response: served(gated.response, node, incomingUrl, options) } : gated;
    // No gate could be reached: the socket is opened from here, working but not cuttable.
  }
  // One controller ends the attempt, whatever ends it: the header limit, or the node going (which
  // also cuts a body that is still flowing).
  const controller = new AbortController();
  let ended: 'timeout' | 'node-down' | undefined;
  const end = (why: 'timeout' | 'node-down') => {
    ended ??= why;
    controller.abort();
  };
  // The client's body failed: the node must not get the part it has as if it were all.
  endWith(options.bodyStopped, controller);
  // Watched (and counted: waiting) from WATCH_AFTER_MS until the headers arrive, and (counted:
  // streaming) while a body flows; the watch's timer renews the lease while the request lives.
  let watching: { watch: Watch; lease: Lease } | undefined;
  const startWatching = (phase: WorkPhase) => {
    if (!watching) {
      const lease = options.tally.openWork(node.id, LEASE_MS, phase);
      const watch = options.watch(node, () => lease.renew());
      watching = { watch, lease };
      watch.gone.then(() => end('node-down'));
      // The client went away (the runtime aborts `request.signal` on its disconnect, with the
      // `enable_request_signal` flag): nobody waits for the answer, the node stops holding it. Only
      // watched work listens: a quick answer never pays for it (measured: +0.7 % cycles per request).
      endWith(request.signal, controller);
    }
  };
  /** The work ended by itself: no longer watched, nor counted. */
  const stopWatching = () => {
    watching?.watch.release();
    watching?.lease.end();
  };
  const { headerTimeoutMs } = options;
  let timer = setTimeout(
    () => {
      startWatching('waiting');
      timer = setTimeout(() => end('timeout'), headerTimeoutMs - WATCH_AFTER_MS);
    },
    Math.min(WATCH_AFTER_MS, headerTimeoutMs),
  );
  let upstream: Response;
  try {
    // Through the node's VPC binding when it has one: the same request, the same abort.
    upstream = await node.fetcher.fetch(node.origin + head.target, {
      method: head.method,
      headers,
      body: options.body,
      redirect: 'manual',
      signal: controller.signal,
    });
  } catch (error) {
    stopWatching();
    if (ended === 'timeout') {
      return { ok: false, failure: 'timeout', detail: `no response headers within ${headerTimeoutMs} ms` };
    }
    if (ended === 'node-down') {
      return { ok: false, failure: 'node-down', detail: 'the node went down while the request waited' };
    }
    return { ok: false, failure: 'unreachable', detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
  if (upstream.webSocket) {
    stopWatching();
    options.tally.countEvent(node.id, AT.webSocketsUncuttable);
    return { ok: true, response: served(upstream, node, incomingUrl, options) };
  }
  // The node's headers are immutable: one mutable copy, made by the Response that carries them.
  const response = new Response(upstream.body, upstream);
  const length = adaptServed(response.headers, node, incomingUrl, head.requestId);
  // A short declared length is decided without reading `response.body` (a call into the runtime).
  if ((length === null || Number(length) > WATCHED_BODY_BYTES) && response.body) {
    // The body now belongs to `response`: it is piped from there (the node's stream is taken). Still
    // watched, so the node going cuts it; no longer waiting, so no longer one of the node's sessions.
    if (watching) watching.lease.streams();
    else startWatching('streaming');
    const body = flowing(response.body, length, options.ctx, stopWatching);
    return { ok: true, response: new Response(body, response) };
  }
  stopWatching();
  return { ok: true, response };
}

/** Aborts `controller` when `signal` aborts (or now, if it already has). */
function endWith(signal: AbortSignal | undefined, controller: AbortController): void {
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener('abort', () => controller.abort(), { once: true });
}

/**
 * A handshake's answer as the client gets it: a socket handed straight through (given explicitly:
 * `new Response(body, upstream)` drops it, and the runtime then pipes it natively), or the node's
 * refusal.
 */
function served(upstream: Response, node: NodeConfig, incomingUrl: URL, options: ForwardOptions): Response {
  const response = upstream.webSocket
    ? new Response(null, { status: 101, headers: upstream.headers, webSocket: upstream.webSocket })
    : new Response(upstream.body, upstream);
  adaptServed(response.headers, node, incomingUrl, options.head.requestId);
  return response;
}

/**
 * The node's response headers as the client gets them: header rules applied, the node and request id
 * named. Returns the body's declared length, or null.
 */
function adaptServed(headers: Headers, node: NodeConfig, incomingUrl: URL, requestId: string): string | null {
  const length = adaptResponseHeaders(headers, node.origin, incomingUrl.origin);
  headers.set(SERVED_BY_HEADER, node.id);
  headers.set(REQUEST_ID_HEADER, requestId);
  return length;
}

/**
 * The node's body piped through natively, its request kept alive (and so watched) until the body ends,
 * then `ended`. When the node goes, the fetch is aborted, which errors the source and so the client's
 * body. A declared length is kept: a FixedLengthStream sends it as `Content-Length`.
 */
function flowing(
  body: ReadableStream,
  length: string | null,
  ctx: Pick<ExecutionContext, 'waitUntil'>,
  ended: () => void,
): ReadableStream {
  const { readable, writable } =
    length === null ? new IdentityTransformStream() : new FixedLengthStream(Number(length));
  ctx.waitUntil(
    body
      .pipeTo(writable)
      .catch(() => {
        // The node went, or the client left: either way the stream is over.
      })
      .finally(ended),
  );
  return readable;
}
