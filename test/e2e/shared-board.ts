/**
 * Several router Workers as deployed (dist/index.js), each its own workerd service and isolate, in one
 * Miniflare (one location, one cache), sharing one health board and the socket gates, hosted by the
 * first: how Cloudflare runs many isolates in front of the same Durable Objects. The Miniflare's URL
 * reaches the first router.
 */
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { ROUTER_RUNTIME } from '../../scripts/bench/targets.mjs';

/** `count` routers named `router-0` ... with these bindings. */
export function routersSharingOneBoard(count: number, bindings: Record<string, unknown>): Miniflare {
  const workers = Array.from({ length: count }, (_, i) => ({
    name: `router-${i}`,
    modules: true,
    ...ROUTER_RUNTIME,
    scriptPath: 'dist/index.js',
    bindings,
    durableObjects: {
      HEALTH: { className: 'HealthBoard', useSQLite: true, ...(i > 0 ? { scriptName: 'router-0' } : {}) },
      SOCKETS: { className: 'SocketGate', useSQLite: true, ...(i > 0 ? { scriptName: 'router-0' } : {}) },
    },
  }));
  return new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: () => {},
      workers,
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
}
