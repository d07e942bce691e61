/** Types of targets.mjs for the TypeScript tests that start the built router in raw Miniflare. */
export interface Started {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}
/** The router's compatibility date and flags, as wrangler.toml sets them. */
export const ROUTER_RUNTIME: { readonly compatibilityDate: string; readonly compatibilityFlags: string[] };
export function routerWorker(
  nodes: readonly { id: string; url: string; via?: string | undefined }[],
  vars?: Record<string, unknown>,
): object;
export function startMiniflare(workers: object | readonly object[], shared?: object): Promise<Started>;
export function deployment(router: object, gates?: object): object[];
export function startRouter(
  nodes: readonly { id: string; url: string }[],
  vars?: Record<string, unknown>,
): Promise<Started>;
export function passThroughWorker(origin: string, options?: { fresh?: boolean }): object;
export function startPassThrough(origin: string, options?: { fresh?: boolean }): Promise<Started>;
export function startNginx(nodes: readonly { id: string; url: string }[], port: number): Promise<Started>;
