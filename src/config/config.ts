import { type AdminConfig, adminWarnings, parseAdmin } from './admin-config';
import { type AlertConfig, parseAlerts } from './alert-webhook';
import { type FieldReader, fieldReader } from './fields';
import { HEALTH_DEFAULTS, type HealthConfig, parseHealth } from './health-config';
import { parseNodeHosts } from './node-hosts';
import { parseAllowedOrigins } from './origins';
import { MAX_NODES, type NodeConfig, parseRoster, ROSTER_REQUIRED, tooManyNodes } from './roster';

/**
 * The router's configuration: parsed once from the Worker's env into a typed, frozen object.
 *
 * Every var may come as its TOML type (`NODES = [...]`, `CONNECT_TIMEOUT_MS = 45000`) or as a string
 * (`wrangler dev --var NODES:'[...]'` passes strings only), so structured and numeric vars also accept
 * their JSON text. Defaults are filled first, then everything is validated, and every problem is
 * reported with its field path instead of stopping at the first.
 */

export interface Config {
  readonly nodes: readonly NodeConfig[];
  /** Node by id: the only way a client-supplied name becomes a node. */
  readonly nodesById: ReadonlyMap<string, NodeConfig>;
  /**
   * The hosts a node added or changed at runtime may have (config/node-hosts.ts): `NODE_HOSTS` and the
   * hosts of `NODES`. Default: the hosts and domains of `NODES`.
   */
  readonly nodeHosts: readonly string[];
  /** Cookie that names the owning node. Default `gcbSessionServer`. */
  readonly stickyCookie: string;
  /** Query parameter that names the owning node (URL-based stickiness). Default `co-browse-node-id`. */
  readonly stickyParam: string;
  /** Only requests under this path are proxied; others get 404. Default `/cobrowse`. */
  readonly pathPrefix: string;
  /** Time a node has to send response headers before it counts as failed. Default 45000 ms. */
  readonly connectTimeoutMs: number;
  readonly health: HealthConfig;
  readonly balance: BalanceConfig;
  /**
   * Which requests write a log line: `errors` (default: every failure, retry, owner-down and 5xx, plus
   * LOG_SAMPLE_RATE of the routine ones), `all`, or `off`.
   */
  readonly logRequests: LogRequests;
  /** With `errors`: the share of routine requests logged anyway, each line marked. Default 0.01. */
  readonly logSampleRate: number;
  /**
   * Share of routine requests written to Analytics Engine, each point weighted by its inverse
   * (worker/analytics.ts); failures, retries and owner-down are always written. Default 0.05.
   */
  readonly analyticsSampleRate: number;
  /**
   * Does each request's node get its id as `X-Request-Id` (to join a node's logs to ours)? The id is
   * logged and sent to the client either way. Default false: a field on the node's request costs a
   * sticky GET about 1 % of its work (docs/costs.md "What it costs").
   */
  readonly requestIdToNodes: boolean;
  /**
   * Request bodies of at most this many bytes (by `Content-Length`) are read before they are sent, so
   * the request can go to another node when its first node is confirmed dead or goes down while it
   * waits. Larger and unknown-length bodies stream and are never sent twice. Default 65536; 0 = never.
   */
  readonly replayBodyBytes: number;
  /**
   * Origins whose pages may open WebSockets and send state-changing requests (config/origins.ts);
   * undefined (unset) allows all, with a warning.
   */
  readonly allowedOrigins: ReadonlySet<string> | undefined;
  /**
   * Most bytes of request line and header fields a node accepts (Jetty's `requestHeaderSize`, default
   * 8192): a larger request gets 414 or 431 from the router instead of a reset from the node.
   */
  readonly maxHeaderBytes: number;
  /** Largest request body by `Content-Length` (413 above it); 0 (default) = no limit. */
  readonly maxBodyBytes: number;
  readonly sockets: SocketConfig;
  /**
   * Where the health board posts alerts (board/alerts.ts), and the secret that signs them; undefined
   * (`ALERT_WEBHOOK_URL` unset): no alerts.
   */
  readonly alerts: AlertConfig | undefined;
  /**
   * Where the health board and the socket gates are created (a Durable Object location hint): near
   * the nodes, whose checks and sockets they carry. Undefined (default): where first used.
   */
  readonly locationHint: LocationHint | undefined;
  /** Where the admin plane answers and who may use it (config/admin-config.ts). */
  readonly admin: AdminConfig;
}

/**
 * How a new session's node is chosen among the serving nodes that are not full (worker/balance.ts).
 * `least-sessions`: of two nodes drawn by weight, the one with fewer open sessions per unit of weight
 * (HAProxy's `leastconn` with the power of two choices, so that isolates reading the same counts do
 * not all pick the same node). `random`: by weight alone.
 */
export type Balance = 'least-sessions' | 'random';

export interface BalanceConfig {
  /** Default `least-sessions`. */
  readonly policy: Balance;
  /**
   * A node that came up, was enabled or was added gets a share of new sessions that grows linearly
   * from SLOW_START_FLOOR to its whole weight over this window (HAProxy's `slowstart`): a restarted
   * Co-browse node is a cold JVM. Default 60 s; 0 turns it off. Pinned traffic is never held back.
   */
  readonly slowStartMs: number;
}

/** Durable Object location hints (Cloudflare's list). */
export const LOCATION_HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me'] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

/** How WebSockets are held (gate/socket-gate.ts): natively piped through socket gates. */
export interface SocketConfig {
  /** Socket gates the sockets are spread over (per deployed version). Default 2. */
  readonly gates: number;
  /**
   * The backstop for a lost end report: a socket whose end the tail consumer never reported is cut
   * this long after it opened (its client reconnects to the same node). Until any end has been
   * reported, a gate holds sockets at most an hour (gate/socket-gate.ts UNREPORTED_MAX_AGE_MS).
   * Default 86,400 s.
   */
  readonly maxAgeMs: number;
  /** Open WebSockets one client key (an IPv4 address, an IPv6 /64) may hold; null: no cap. Default 200. */
  readonly perClient: number | null;
}

export type LogRequests = 'all' | 'errors' | 'off';

export type ConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[]; readonly warnings: readonly string[] };

export const DEFAULTS = {
  STICKY_COOKIE: 'gcbSessionServer',
  STICKY_PARAM: 'co-browse-node-id',
  PATH_PREFIX: '/cobrowse',
  // Above the nodes' long-poll hold (CometD holds /meta/connect for 30 s by default) with margin:
  // a node sends no headers while it holds a long-poll, so a shorter limit would fail healthy polls.
  CONNECT_TIMEOUT_MS: 45_000,
  ...HEALTH_DEFAULTS,
  // What it costs (docs/costs.md): a log line and a data point per request would cost more than the request.
  LOG_REQUESTS: 'errors',
  LOG_SAMPLE_RATE: 0.01,
  ANALYTICS_SAMPLE_RATE: 0.05,
  REQUEST_ID_TO_NODES: false,
  // Covers a CometD handshake, connect or publish batch (a few KB) with room to spare; DOM snapshots
  // (10 MB) stream instead. nginx buffers every request body (8-16 KB in memory, then on disk).
  REPLAY_BODY_BYTES: 65_536,
  // Jetty 9's HttpConfiguration.requestHeaderSize: what a Co-browse node accepts by default.
  MAX_HEADER_BYTES: 8192,
  MAX_BODY_BYTES: 0,
  // Two gates share a cluster's sockets and handshakes; one board push reaches both (docs/websockets.md).
  SOCKET_GATES: 2,
  // Ends are reported (tail/), so this only bounds sockets whose end report was lost: a day is longer
  // than any Co-browse session, so no healthy socket is cut, and what lost reports leave is bounded.
  SOCKET_MAX_AGE_S: 86_400,
  // One address's open sockets: a contact centre or office behind one NAT address (100 agents with a
  // desktop and a visitor page each), and well under a cluster's capacity, so one client cannot fill it.
  WEBSOCKETS_PER_CLIENT: 200,
  BALANCE: 'least-sessions',
  // A JVM's JIT warms up over its first minute or so of traffic.
  SLOW_START_S: 60,
} as const;

/** RFC 6265 cookie-name (an RFC 7230 token). */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PATH_PREFIX = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;

export function parseConfig(env: Readonly<Record<string, unknown>>): ConfigResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const read = fieldReader(env, problems);
  const nodes = parseNodes(read, env, warnings);
  const config: Config = {
    nodes,
    nodesById: new Map(nodes.map((node) => [node.id, node])),
    nodeHosts: parseNodeHosts(
      read,
      nodes.map((node) => node.origin),
    ),
    stickyCookie: read.string('STICKY_COOKIE', DEFAULTS.STICKY_COOKIE, COOKIE_NAME, 'a cookie name'),
    stickyParam: read.string('STICKY_PARAM', DEFAULTS.STICKY_PARAM, /^\S{1,128}$/, 'a parameter name'),
    pathPrefix: read.string(
      'PATH_PREFIX',
      DEFAULTS.PATH_PREFIX,
      PATH_PREFIX,
      'a path like /cobrowse (no trailing slash)',
    ),
    connectTimeoutMs: read.integer('CONNECT_TIMEOUT_MS', DEFAULTS.CONNECT_TIMEOUT_MS, 100, 600_000),
    health: parseHealth(read),
    balance: {
      policy: read.string(
        'BALANCE',
        DEFAULTS.BALANCE,
        /^(least-sessions|random)$/,
        'least-sessions or random',
      ) as Balance,
      slowStartMs: read.integer('SLOW_START_S', DEFAULTS.SLOW_START_S, 0, 3600) * 1000,
    },
    logRequests: read.string(
      'LOG_REQUESTS',
      DEFAULTS.LOG_REQUESTS,
      /^(all|errors|off)$/,
      'all, errors or off',
    ) as LogRequests,
    logSampleRate: read.fraction('LOG_SAMPLE_RATE', DEFAULTS.LOG_SAMPLE_RATE),
    analyticsSampleRate: read.fraction('ANALYTICS_SAMPLE_RATE', DEFAULTS.ANALYTICS_SAMPLE_RATE),
    requestIdToNodes: read.boolean('REQUEST_ID_TO_NODES', DEFAULTS.REQUEST_ID_TO_NODES),
    replayBodyBytes: read.integer('REPLAY_BODY_BYTES', DEFAULTS.REPLAY_BODY_BYTES, 0, 1_048_576),
    allowedOrigins: parseAllowedOrigins(read, warnings),
    maxHeaderBytes: read.integer('MAX_HEADER_BYTES', DEFAULTS.MAX_HEADER_BYTES, 1024, 1_048_576),
    maxBodyBytes: read.integer('MAX_BODY_BYTES', DEFAULTS.MAX_BODY_BYTES, 0, 2 ** 40),
    sockets: {
      gates: read.integer('SOCKET_GATES', DEFAULTS.SOCKET_GATES, 1, 64),
      maxAgeMs: read.integer('SOCKET_MAX_AGE_S', DEFAULTS.SOCKET_MAX_AGE_S, 10, 604_800) * 1000,
      perClient: read.integer('WEBSOCKETS_PER_CLIENT', DEFAULTS.WEBSOCKETS_PER_CLIENT, 0, 1_000_000) || null,
    },
    alerts: parseAlerts(env, problems),
    // Unset reads as '': no hint.
    locationHint: (read.string(
      'LOCATION_HINT',
      '',
      new RegExp(`^(${LOCATION_HINTS.join('|')})$`),
      `a location hint: ${LOCATION_HINTS.join(', ')}`,
    ) || undefined) as LocationHint | undefined,
    admin: parseAdmin(read, env),
  };
  warnings.push(...adminWarnings(config.admin, env));
  return problems.length > 0 ? { ok: false, problems, warnings } : { ok: true, config, warnings };
}

function parseNodes(
  read: FieldReader,
  env: Readonly<Record<string, unknown>>,
  warnings: string[],
): NodeConfig[] {
  const before = read.problems.length;
  const value = read.json('NODES');
  if (value === undefined) {
    if (read.problems.length === before) read.problems.push(ROSTER_REQUIRED);
    return [];
  }
  if (Array.isArray(value) && value.length > MAX_NODES) read.problems.push(tooManyNodes(value.length));
  return parseRoster(value, env, read.problems, warnings);
}
