/**
 * The router's configuration: parsed once from the Worker's env into a typed, frozen object.
 *
 * Every var may come as its TOML type (`NODES = [...]`, `CONNECT_TIMEOUT_MS = 45000`) or as a string
 * (`wrangler dev --var NODES:'[...]'` passes strings only), so structured and numeric vars also accept
 * their JSON text. Defaults are filled first, then everything is validated, and every problem is
 * reported with its field path instead of stopping at the first.
 */

/** One Co-browse node of the roster. */
export interface NodeConfig {
  /** Route name the node puts in its stickiness cookie (`.CB_Server_1` names `CB_Server_1`). */
  readonly id: string;
  /** Base URL of the node: scheme, host and port only (`http://cb1.example.com:8700`). */
  readonly origin: string;
  /** Relative share of new sessions; 0 takes only sessions already pinned to it. Default 1. */
  readonly weight: number;
}

export interface Config {
  readonly nodes: readonly NodeConfig[];
  /** Node by id: the only way a client-supplied name becomes a node. */
  readonly nodesById: ReadonlyMap<string, NodeConfig>;
  /** Cookie that names the owning node. Default `gcbSessionServer`. */
  readonly stickyCookie: string;
  /** Query parameter that names the owning node (URL-based stickiness). Default `co-browse-node-id`. */
  readonly stickyParam: string;
  /** Only requests under this path are proxied; others get 404. Default `/cobrowse`. */
  readonly pathPrefix: string;
  /** Time a node has to send response headers before it counts as failed. Default 45000 ms. */
  readonly connectTimeoutMs: number;
}

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
} as const;

/** A node id is a cookie-safe token, so it can be matched exactly and printed safely. */
const NODE_ID = /^[A-Za-z0-9_.~-]{1,64}$/;
/** RFC 6265 cookie-name (an RFC 7230 token). */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PATH_PREFIX = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;
const MAX_WEIGHT = 1000;

export function parseConfig(env: Readonly<Record<string, unknown>>): ConfigResult {
  const problems: string[] = [];
  const warnings: string[] = [];
  const nodes = parseNodes(env.NODES, problems, warnings);
  const config: Config = {
    nodes,
    nodesById: new Map(nodes.map((node) => [node.id, node])),
    stickyCookie: parseString(
      env,
      'STICKY_COOKIE',
      DEFAULTS.STICKY_COOKIE,
      COOKIE_NAME,
      'a cookie name',
      problems,
    ),
    stickyParam: parseString(
      env,
      'STICKY_PARAM',
      DEFAULTS.STICKY_PARAM,
      /^\S{1,128}$/,
      'a parameter name',
      problems,
    ),
    pathPrefix: parseString(
      env,
      'PATH_PREFIX',
      DEFAULTS.PATH_PREFIX,
      PATH_PREFIX,
      'a path like /cobrowse (no trailing slash)',
      problems,
    ),
    connectTimeoutMs: parseInteger(
      env,
      'CONNECT_TIMEOUT_MS',
      DEFAULTS.CONNECT_TIMEOUT_MS,
      100,
      600_000,
      problems,
    ),
  };
  return problems.length > 0 ? { ok: false, problems, warnings } : { ok: true, config, warnings };
}

function parseNodes(raw: unknown, problems: string[], warnings: string[]): NodeConfig[] {
  const value = typeof raw === 'string' ? parseJson(raw, 'NODES', problems) : raw;
  if (value === undefined) {
    if (raw === undefined) problems.push('NODES: required: an array of { id, url, weight? }');
    return [];
  }
  if (!Array.isArray(value) || value.length === 0) {
    problems.push('NODES: must be a non-empty array of { id, url, weight? }');
    return [];
  }
  const nodes: NodeConfig[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const node = parseNode(entry, `NODES[${index}]`, problems, warnings);
    if (!node) return;
    if (seen.has(node.id)) problems.push(`NODES[${index}].id: duplicate id "${node.id}"`);
    seen.add(node.id);
    nodes.push(node);
  });
  if (nodes.length === value.length && nodes.every((node) => node.weight === 0)) {
    problems.push('NODES: at least one node needs a weight above 0 to take new sessions');
  }
  return nodes;
}

function parseNode(
  entry: unknown,
  path: string,
  problems: string[],
  warnings: string[],
): NodeConfig | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`${path}: must be an object { id, url, weight? }`);
    return undefined;
  }
  const { id, url, weight = 1, ...rest } = entry as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(rest)) problems.push(`${path}.${key}: unknown field`);
  if (typeof id !== 'string' || !NODE_ID.test(id)) {
    problems.push(`${path}.id: must be 1-64 characters of A-Z a-z 0-9 _ . ~ - (the node's route name)`);
  }
  const origin = parseNodeUrl(url, `${path}.url`, problems, warnings);
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    problems.push(`${path}.weight: must be an integer from 0 to ${MAX_WEIGHT}`);
  }
  if (problems.length > before) return undefined;
  return { id: id as string, origin: origin as string, weight: weight as number };
}

function parseNodeUrl(
  raw: unknown,
  path: string,
  problems: string[],
  warnings: string[],
): string | undefined {
  const url = typeof raw === 'string' && URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(`${path}: must be an absolute http:// or https:// URL`);
    return undefined;
  }
  const extra = [
    url.username || url.password ? 'credentials' : '',
    url.pathname !== '/' ? 'a path' : '',
    url.search ? 'a query' : '',
    url.hash ? 'a fragment' : '',
  ].filter(Boolean);
  if (extra.length > 0) {
    problems.push(`${path}: must be scheme, host and port only (found ${extra.join(', ')})`);
    return undefined;
  }
  if (isIpLiteral(url.hostname)) {
    warnings.push(
      `${path}: ${url.hostname} is a bare IP address: fine in local runs, but a deployed Worker cannot fetch an IP; give the node a DNS name`,
    );
  }
  return url.origin;
}

function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

function parseString(
  env: Readonly<Record<string, unknown>>,
  key: string,
  fallback: string,
  pattern: RegExp,
  expected: string,
  problems: string[],
): string {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !pattern.test(raw)) {
    problems.push(`${key}: must be ${expected} (got ${JSON.stringify(raw)})`);
    return fallback;
  }
  return raw;
}

function parseInteger(
  env: Readonly<Record<string, unknown>>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${key}: must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    return fallback;
  }
  return value;
}

function parseJson(text: string, key: string, problems: string[]): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    problems.push(`${key}: not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}
