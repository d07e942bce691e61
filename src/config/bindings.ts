/**
 * The router script's bindings, as its Worker and its health board get them.
 *
 * `Env` is generated from wrangler.toml by `wrangler types` (worker-configuration.d.ts; `npm test`
 * fails when it is stale), across every environment: bindings of one environment only, such as
 * production's VPC binding, are optional there. Two things it cannot say are added:
 * - `ADMIN_TOKEN` and `ROSTER_TOKEN`, optional secrets: listing them under `secrets.required` would
 *   make every deploy and every local run demand them, and the router works without (what they
 *   guard stays off);
 * - the index signature: config.ts reads vars by name, and a node's `via` names a binding.
 */
export type Bindings = Env &
  Readonly<Record<string, unknown>> & { readonly ADMIN_TOKEN?: string; readonly ROSTER_TOKEN?: string };
