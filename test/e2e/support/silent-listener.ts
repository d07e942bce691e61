/**
 * A TCP listener that is in no roster: any connection it receives means the router was talked into
 * contacting a host it must not reach.
 */
import { createServer } from 'node:net';

export interface SilentListener {
  readonly port: number;
  /** Connections received so far; must stay 0. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/**
 * Listens on `host` (another loopback address, such as 127.0.0.2, stands for an internal host that no
 * node shares).
 */
export async function startSilentListener(host = '127.0.0.1'): Promise<SilentListener> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('listener has no port');
  return {
    port: address.port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
