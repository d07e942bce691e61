/**
 * The config a request is routed by: the Worker's own (config/load.ts) with the roster the health
 * board has now, which operators may have changed at runtime (config/roster-changes.ts). Every isolate
 * and socket gate follows a change with the snapshot it reads anyway: no call of its own.
 *
 * Cost: one identity check per request; the roster is parsed again only when a snapshot arrives whose
 * nodes differ from the last one's (at most once a second per isolate).
 */
import type { Config } from './config';
import { parseRoster } from './roster';

/** A node as the board's snapshot names it (wire/health-snapshot.ts NodeStatus, less its health). */
export interface RosterView {
  readonly id: string;
  readonly origin: string;
  readonly weight: number;
  readonly via: string | null;
  readonly maxSessions?: number | null;
}

/** A roster node as the snapshot and the gates' news carry it. */
export function rosterViewOf(node: Config['nodes'][number]): RosterView {
  return {
    id: node.id,
    origin: node.origin,
    weight: node.weight,
    via: node.via ?? null,
    maxSessions: node.maxSessions ?? null,
  };
}

const keyOf = (nodes: readonly RosterView[]) =>
  JSON.stringify(
    nodes.map((node) => [node.id, node.origin, node.weight, node.via, node.maxSessions ?? null]),
  );

export class LiveConfig {
  private seen: readonly RosterView[] | undefined;
  private key = '';
  private live: Config | undefined;
  private base: Config | undefined;

  /**
   * Query: `config` with the roster `nodes` (the board's, from its latest snapshot), or `config` itself
   * when there is none yet or it is the same. A node the Worker cannot build (its `via` binding is
   * missing here) is left out and logged by the caller's next config check.
   */
  of(
    config: Config,
    nodes: readonly RosterView[] | undefined,
    env: Readonly<Record<string, unknown>>,
  ): Config {
    if (!nodes) return config;
    if (nodes === this.seen && config === this.base && this.live) return this.live;
    this.seen = nodes;
    const key = keyOf(nodes);
    if (key !== this.key || config !== this.base || !this.live) {
      this.key = key;
      this.base = config;
      this.live = key === keyOf(config.nodes.map(rosterViewOf)) ? config : withRoster(config, nodes, env);
    }
    return this.live;
  }
}

function withRoster(
  config: Config,
  nodes: readonly RosterView[],
  env: Readonly<Record<string, unknown>>,
): Config {
  const parsed = rosterNodes(nodes, env);
  return { ...config, nodes: parsed, nodesById: new Map(parsed.map((node) => [node.id, node])) };
}

/**
 * The roster nodes `nodes` as this program reaches them (a node's `via` names a binding of `env`):
 * the Worker's, or a socket gate's, which has no roster of its own. A node whose binding is missing
 * here is left out.
 */
export function rosterNodes(
  nodes: readonly RosterView[],
  env: Readonly<Record<string, unknown>>,
): Config['nodes'] {
  const raw = nodes.map(({ id, origin, weight, via, maxSessions }) => ({
    id,
    url: origin,
    weight,
    ...(via !== null ? { via } : {}),
    ...(maxSessions != null ? { maxSessions } : {}),
  }));
  return parseRoster(raw, env, [], []);
}
