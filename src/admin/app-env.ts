/** Hono's typing of the operations app: the script's bindings and the per-request variables. */
import type { Bindings } from '../config/bindings';
import type { Config } from '../config/config';
import type { AdminCredential } from './credentials';

export interface AppEnv {
  Bindings: Bindings;
  /** `admin`: set by admin/auth.ts on every authenticated admin request. */
  Variables: { config: Config; requestId: string; admin: AdminCredential };
}
