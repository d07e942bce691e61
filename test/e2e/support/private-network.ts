/**
 * The guide's private topology, on one machine: the router and its gates (the scripts as deployed, in
 * raw Miniflare) reach the nodes only through a binding that stands in for a Workers VPC network,
 * and their own fetch() reaches nothing but a silent listener.
 *
 * - `COBROWSE_NET`, the stand-in for the tunnel: workerd's own `network` service, allowed to reach
 *   loopback addresses only. Like a `vpc_networks` binding, it is a Fetcher whose URL host and port
 *   choose the destination, and whose `fetch()` throws when nothing answers there.
 * - The router's global outbound (what a plain `fetch()` reaches, "the internet"): a listener in this
 *   process that records every request's URL, whatever it is, and answers 502. Its record must stay
 *   empty: the proof that no node behind the binding was contacted around it, and that nothing leaves
 *   this machine.
 */
import { deployment, routerWorker, startMiniflare } from '../../../scripts/bench/targets.mjs';
import type { DemoNode } from './cluster';
import type { RunningRouter } from './router';

export const BINDING = 'COBROWSE_NET';

export interface PrivateRouter extends RunningRouter {
  /** URL of every request the router sent with its own fetch(); must stay empty. */
  readonly plainFetches: readonly string[];
}

/**
 * Starts the router with these nodes, each reached through the stand-in binding unless `via` says
 * otherwise for it (undefined: the Worker's own fetch, which reaches only the recording listener).
 */
export async function startPrivateRouter(
  nodes: readonly DemoNode[],
  vars: Record<string, unknown> = {},
  via: (node: DemoNode) => string | undefined = () => BINDING,
): Promise<PrivateRouter> {
  const plainFetches: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const roster = nodes.map((node) => ({ id: node.id, url: node.url, via: via(node) }));
  // The router and the gates alike: both reach nodes, through the binding or their own fetch().
  const network = {
    serviceBindings: { [BINDING]: { network: { allow: ['local'] } } },
    outboundService: (request: Request) => {
      plainFetches.push(request.url);
      return new Response('not reachable from the internet', { status: 502 });
    },
  };
  const router = await startMiniflare(deployment({ ...routerWorker(roster, vars), ...network }, network), {
    handleStructuredLogs: ({ message }: { message: string }) => {
      if (message.startsWith('{')) logs.push(JSON.parse(message));
    },
  });
  return {
    url: router.url,
    logs,
    plainFetches,
    stop: router.stop,
  };
}
