/**
 * Worker entry: `/__lb`, and every request to ADMIN_HOST, go to the Hono operations app (which
 * decides what answers where: admin/app.ts); every other request straight to the proxy.
 * The proxy path skips Hono's dispatch on purpose: under callgrind it cost ~130,000 instructions per
 * request in workerd, about 5 % of a whole proxied request (BENCHMARKS.md), for routing that is one
 * prefix test.
 */
import { app, OPS_PREFIX } from './admin/app';
import type { Bindings } from './config/bindings';
import { proxy } from './worker/proxy';
import { isWithin } from './worker/routing';

export { HealthBoard } from './board/board';

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    // ADMIN_HOST read first: unset (the default), a proxied request pays no hostname read for it.
    const adminHost = env.ADMIN_HOST;
    if (isWithin(url.pathname, OPS_PREFIX) || (adminHost && url.hostname === adminHost)) {
      return app.fetch(request, env, ctx);
    }
    return proxy(request, url, env, ctx);
  },
} satisfies ExportedHandler<Bindings>;
