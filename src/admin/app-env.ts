/** Hono's typing of this Worker: its env bindings and the per-request variables. */

import type { Config } from '../config/config';
import type { AdminCredential } from './credentials';

export interface AppEnv {
  /**
   * `Env` is generated from wrangler.toml by `wrangler types` (worker-configuration.d.ts; `npm test`
   * fails when it is stale), across every environment: bindings of one environment only, such as
   * production's VPC binding, are optional there. Two things it cannot say are added:
   * - `ADMIN_TOKEN` and `ROSTER_TOKEN`, optional secrets: listing them under `secrets.required` would
   *   make every deploy and every local run demand them, and the router works without (what they
   *   guard stays off);
   * - the index signature: config.ts reads vars by name, and a node's `via` names a binding.
   */
  Bindings: Env &
    Readonly<Record<string, unknown>> & { readonly ADMIN_TOKEN?: string; readonly ROSTER_TOKEN?: string };
  /** `admin`: set by admin/auth.ts on every authenticated admin request. */
  Variables: { config: Config; requestId: string; admin: AdminCredential };
}
