/** Hono's typing of this Worker: its env bindings and the per-request variables. */
import type { Config } from './config/config';
import type { HealthBindings } from './health/snapshot';
import type { RateLimitBindings } from './proxy/rate-limits';

export interface AppEnv {
  /**
   * Raw vars from wrangler.toml or `--var` (parsed only by config.ts), the `ADMIN_TOKEN` secret, the
   * health board and the rate limits.
   */
  Bindings: Record<string, unknown> & HealthBindings & RateLimitBindings & { readonly ADMIN_TOKEN?: string };
  Variables: { config: Config; requestId: string };
}
