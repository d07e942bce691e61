/**
 * Which sockets ended, read from the traces the runtime hands the gates' tail consumer. The trace of a
 * gate invocation that returned a piped WebSocket completes only when that socket ends (workerd keeps
 * the invocation's metrics until its deferred proxy ends; measured 5-20 ms after a client close, a node
 * close, a dropped connection or a gate's abort: TOOLCHAIN.md "WebSockets in workerd"). Any trace of a
 * handshake means it is over: its outcome varies for the same kind of end (ok, exception,
 * responseStreamDisconnected), and a handshake that never opened a socket was already let go by its
 * gate, which ignores ids it does not hold.
 *
 * Pure: traces in, socket ids per gate out. Traces without both headers (the board's news, a gate's
 * alarm, these reports themselves) are not handshakes and are skipped.
 */
import { GATE_NAME_HEADER, GATE_SOCKET_HEADER } from '../wire/gate-protocol';

/** The request part of a trace, as far as this reads it. */
interface TracedRequest {
  readonly headers?: Readonly<Record<string, string>>;
}

/** A trace, as far as this reads it (the runtime's TraceItem). */
export interface Trace {
  readonly event?: { readonly request?: TracedRequest } | null;
}

/** The ids of the sockets that ended, per gate name. */
export function socketEnds(traces: readonly Trace[]): Map<string, string[]> {
  const ends = new Map<string, string[]>();
  for (const trace of traces) {
    const headers = trace.event?.request?.headers;
    const gate = headers?.[GATE_NAME_HEADER];
    const socket = headers?.[GATE_SOCKET_HEADER];
    if (!gate || !socket) continue;
    const ids = ends.get(gate);
    if (ids) ids.push(socket);
    else ends.set(gate, [socket]);
  }
  return ends;
}
