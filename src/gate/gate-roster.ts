/**
 * What a socket gate knows of the cluster, all of it from the health board's news (wire/gate-protocol.ts
 * GateNews): the roster as this script reaches it (a node's `via` names a binding of the gates'
 * script), the nodes that serve nothing now, and the settings the router's config decided. The gates'
 * script has no roster or settings of its own: before its first news a gate knows no node, and asks.
 */
import { DEFAULTS } from '../config/config';
import type { RosterView } from '../config/live-config';
import { rosterNodes } from '../config/live-config';
import type { NodeConfig } from '../config/roster';
import type { GateNews, GateSettings } from '../wire/gate-protocol';

/** The gates' script's bindings: the board, its own version, and whatever a node's `via` names. */
export type GateEnv = Pick<Env, 'HEALTH'> & {
  readonly CF_VERSION_METADATA?: WorkerVersionMetadata;
} & Readonly<Record<string, unknown>>;

/**
 * The documented defaults, until news carries settings: before the first news nothing is reachable,
 * and a board older than the gates (for the moment a deploy of the three scripts takes) sends none.
 */
const DEFAULT_SETTINGS: GateSettings = {
  connectTimeoutMs: DEFAULTS.CONNECT_TIMEOUT_MS,
  backstopMs: DEFAULTS.SOCKET_MAX_AGE_S * 1000,
  perClient: DEFAULTS.WEBSOCKETS_PER_CLIENT,
};

export class GateRoster {
  private told = false;
  private views: readonly RosterView[] = [];
  private nodes = new Map<string, NodeConfig>();
  private unavailable = new Set<string>();
  settings: GateSettings = DEFAULT_SETTINGS;
  /**
   * When a gate last reported a socket's end to the board (0: none known). The latest ever heard: a
   * board that was reset knows none until the next end, but the platform reports ends all the same.
   */
  endsSeenAt = 0;

  constructor(private readonly env: GateEnv) {}

  /** Has this gate been told of node `id` (so a handshake to it need not ask the board first)? */
  knows(id: string): boolean {
    return this.told && this.nodes.has(id);
  }

  node(id: string): NodeConfig | undefined {
    return this.nodes.get(id);
  }

  isUnavailable(id: string): boolean {
    return this.unavailable.has(id);
  }

  /** Takes the news; returns the nodes whose sockets must not stay open. */
  heard(news: GateNews): ReadonlySet<string> {
    this.told = true;
    // Absent from an older board's news (see DEFAULT_SETTINGS): the last known, or the defaults.
    this.settings = news.settings ?? this.settings;
    this.endsSeenAt = Math.max(this.endsSeenAt, news.endsSeenAt ?? 0);
    this.unavailable = new Set(news.unavailable);
    if (JSON.stringify(news.roster) !== JSON.stringify(this.views)) {
      this.views = news.roster;
      this.nodes = new Map(rosterNodes(news.roster, this.env).map((node) => [node.id, node]));
    }
    return this.unavailable;
  }
}
