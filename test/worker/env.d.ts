import type { HealthBoard } from '../../src/health/board';

declare global {
  namespace Cloudflare {
    interface Env {
      HEALTH: DurableObjectNamespace<HealthBoard>;
    }
  }
}
