/** Hono's typing of this Worker: its env bindings and the per-request variables. */
import type { Config } from './config';

export interface AppEnv {
  /** Raw vars from wrangler.toml or `--var`; parsed only by config.ts. */
  Bindings: Record<string, unknown>;
  Variables: { config: Config };
}
