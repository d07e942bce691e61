/**
 * Several router Workers as deployed (dist/index.js), each its own workerd service and isolate, in one
 * Miniflare (one location, one cache), sharing one health board, hosted by the first, and the socket
 * gates' script: how Cloudflare runs many isolates in front of the same Durable Objects. The Miniflare's URL
 * reaches the first router.
 */
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { deployment, ROUTER_RUNTIME } from '../../../scripts/bench/targets.mjs';

/** `count` routers named `router-0` ... with these bindings. */
export function routersSharingOneBoard(count: number, bindings: Record<string, unknown>): Miniflare {
  const routers = Array.from({ length: count }, (_, i) => ({
    name: `router-${i}`,
    modules: true,
    ...ROUTER_RUNTIME,
    scriptPath: 'dist/index.js',
    bindings,
    durableObjects: {
      HEALTH: { className: 'HealthBoard', useSQLite: true, ...(i > 0 ? { scriptName: 'router-0' } : {}) },
      SOCKETS: { className: 'SocketGate', useSQLite: true, scriptName: 'cobrowse-edge-gates' },
    },
  }));
  // The gates' script and its tail consumer, once, with the board of the first router.
  const [, ...gates] = deployment(routers[0] as object);
  const workers = [...routers, ...gates].map((worker) => ({
    modules: true,
    compatibilityDate: ROUTER_RUNTIME.compatibilityDate,
    ...worker,
  }));
  return new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: () => {},
      workers,
    } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
}
