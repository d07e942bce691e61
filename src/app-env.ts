/** Hono's typing of this Worker: its env bindings and the per-request variables. */
import type { Config } from './config/config';
import type { HealthBindings } from './health/snapshot';

export interface AppEnv {
  /**
   * Raw vars from wrangler.toml or `--var` (parsed only by config.ts), the `ADMIN_TOKEN` secret, and
   * the health board.
   */
  Bindings: Record<string, unknown> & HealthBindings & { readonly ADMIN_TOKEN?: string };
  Variables: { config: Config; requestId: string };
}
