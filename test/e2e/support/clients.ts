/** Real clients for the end-to-end tests: a `ws` WebSocket that records everything it sees. */
import { createRequire } from 'node:module';
import type WebSocketType from 'ws';

// `ws` through require: the ESM entry resolution can pick the browser build inside test runners.
const WebSocket: typeof WebSocketType = createRequire(import.meta.url)('ws');

export interface RecordedSocket {
  readonly socket: WebSocketType;
  readonly messages: string[];
  /** Resolves with the close code and reason, whoever closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the next message (or the first one not yet taken). */
  next(): Promise<string>;
}

export function openSocket(url: string, headers: Record<string, string> = {}): Promise<RecordedSocket> {
  const socket = new WebSocket(url, { headers });
  const messages: string[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    messages.push(data.toString());
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const next = async (): Promise<string> => {
    while (messages.length <= taken) await new Promise<void>((wake) => waiters.push(wake));
    return messages[taken++] as string;
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages, closed, next }));
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`handshake answered ${res.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

/**
 * A WebSocket through the router at `routerUrl`, pinned to `node` and sent from `address` (as
 * Cloudflare's front end names the client), once the node greeted it.
 */
export async function openPinned(routerUrl: string, node: string, address: string): Promise<RecordedSocket> {
  const socket = await openSocket(`${routerUrl.replace('http', 'ws')}/cobrowse/ws`, {
    cookie: `gcbSessionServer=.${node}`,
    'cf-connecting-ip': address,
  });
  await socket.next();
  return socket;
}
