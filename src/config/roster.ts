/**
 * The roster (`NODES`): which nodes exist, where they are and what reaches them. Only these nodes can
 * ever be contacted: a client-supplied name is looked up here, never turned into a host.
 *
 * A node on a private network names the Workers VPC binding that reaches it (`via`); every request,
 * WebSocket handshake and health check to that node then goes through that binding's `fetch`, and
 * never through the Worker's own `fetch()`, which cannot reach a private address once deployed.
 */
import { addressKind } from './node-address';

/** What sends a request to a node: the Worker's own `fetch`, or a Fetcher binding's. */
export interface NodeFetcher {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** One Co-browse node of the roster. */
export interface NodeConfig {
  /** Route name the node puts in its stickiness cookie (`.CB_Server_1` names `CB_Server_1`). */
  readonly id: string;
  /** Base URL of the node: scheme, host and port only (`http://cb1.example.com:8700`). */
  readonly origin: string;
  /** Relative share of new sessions; 0 takes only sessions already pinned to it. Default 1. */
  readonly weight: number;
  /** Name of the Fetcher binding (Workers VPC) that reaches the node; undefined = the Worker's fetch. */
  readonly via: string | undefined;
  /**
   * Most open sessions the node is sized for (its sockets and waiting requests, as the board counts
   * them): once reached, new sessions go elsewhere; its pinned traffic always passes. Undefined: no limit.
   */
  readonly maxSessions?: number | undefined;
  /** The one way to send the node a request: `env[via]`, or the global scope (its `fetch()`). */
  readonly fetcher: NodeFetcher;
}

/** A node id is a cookie-safe token, so it can be matched exactly and printed safely. */
const NODE_ID = /^[A-Za-z0-9_.~-]{1,64}$/;
/** A binding name as wrangler accepts it (a JavaScript identifier). */
const BINDING_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
const MAX_WEIGHT = 1000;
const MAX_SESSIONS = 10_000_000;
const SHAPE = '{ id, url, weight?, via?, maxSessions? }';

/**
 * Parses `NODES` (already read from its TOML or JSON form) against the Worker's `env`, whose bindings
 * the `via` fields name. Every problem is pushed with its field path; nodes with problems are left out.
 */
export function parseRoster(
  value: unknown,
  env: Readonly<Record<string, unknown>>,
  problems: string[],
  warnings: string[],
): NodeConfig[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`NODES: must be a non-empty array of ${SHAPE}`);
    return [];
  }
  const nodes: NodeConfig[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const node = parseNode(entry, `NODES[${index}]`, env, problems, warnings);
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

/**
 * Most nodes a roster holds: every node is checked each round and shown on the status page, so a
 * roster grown without bound (300 nodes: a 1.7 MB page, 479 ms of CPU) costs every operator's read.
 * A cluster of 64 Co-browse nodes is far past any deployment the vendor's guide describes.
 */
export const MAX_NODES = 64;

/** The problem of a roster of `count` nodes, over MAX_NODES. */
export const tooManyNodes = (count: number) =>
  `NODES: at most ${MAX_NODES} nodes, the roster's cap (this roster has ${count})`;

/** Read when NODES is missing altogether. */
export const ROSTER_REQUIRED = `NODES: required: an array of ${SHAPE}`;

function parseNode(
  entry: unknown,
  path: string,
  env: Readonly<Record<string, unknown>>,
  problems: string[],
  warnings: string[],
): NodeConfig | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`${path}: must be an object ${SHAPE}`);
    return undefined;
  }
  const { id, url, weight = 1, via, maxSessions, ...rest } = entry as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(rest)) problems.push(`${path}.${key}: unknown field`);
  if (typeof id !== 'string' || !NODE_ID.test(id)) {
    problems.push(`${path}.id: must be 1-64 characters of A-Z a-z 0-9 _ . ~ - (the node's route name)`);
  } else if (id in Object.prototype) {
    // Counts, runtime changes and removals are kept in plain objects keyed by node id.
    problems.push(`${path}.id: "${id}" is reserved (a name every JavaScript object has)`);
  }
  const fetcher = via === undefined ? globalThis : bindingFetcher(via, `${path}.via`, env, problems);
  const origin = parseNodeUrl(url, `${path}.url`, via !== undefined, problems, warnings);
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    problems.push(`${path}.weight: must be an integer from 0 to ${MAX_WEIGHT}`);
  }
  if (
    maxSessions !== undefined &&
    (typeof maxSessions !== 'number' ||
      !Number.isInteger(maxSessions) ||
      maxSessions < 1 ||
      maxSessions > MAX_SESSIONS)
  ) {
    problems.push(
      `${path}.maxSessions: must be an integer from 1 to ${MAX_SESSIONS} (leave it out for no limit)`,
    );
  }
  if (problems.length > before || !fetcher) return undefined;
  return {
    id: id as string,
    origin: origin as string,
    weight: weight as number,
    via: via as string | undefined,
    maxSessions: maxSessions as number | undefined,
    fetcher,
  };
}

/**
 * The Fetcher binding `via` names in `env`, or undefined with a problem: it must exist in the env of
 * the deployment being checked, and be a fetcher (a `vpc_networks`, `vpc_services` or service
 * binding), never the health board, another binding or a var.
 */
function bindingFetcher(
  via: unknown,
  path: string,
  env: Readonly<Record<string, unknown>>,
  problems: string[],
): NodeFetcher | undefined {
  if (typeof via !== 'string' || !BINDING_NAME.test(via)) {
    problems.push(`${path}: must be the name of a binding, such as "COBROWSE_NET"`);
    return undefined;
  }
  const binding = env[via];
  if (binding === undefined) {
    problems.push(
      `${path}: the Worker has no binding "${via}" (declare it under vpc_networks or vpc_services in the wrangler.toml environment you deploy)`,
    );
    return undefined;
  }
  const kind = bindingKind(binding);
  if (kind !== 'a fetcher') {
    problems.push(
      `${path}: "${via}" is ${kind}, not a fetcher (a vpc_networks, vpc_services or service binding)`,
    );
    return undefined;
  }
  return binding as NodeFetcher;
}

function bindingKind(binding: unknown): string {
  if (typeof binding !== 'object' || binding === null) return 'a var';
  const methods = binding as Record<string, unknown>;
  // A Fetcher first: it is an RPC stub, whose every property reads as a function (idFromName too).
  if (typeof methods.fetch === 'function') return 'a fetcher';
  if (typeof methods.idFromName === 'function') return 'a Durable Object namespace (the health board?)';
  return Object.getPrototypeOf(binding) === Object.prototype || Array.isArray(binding)
    ? 'a var'
    : 'a binding of another kind';
}

function parseNodeUrl(
  raw: unknown,
  path: string,
  throughBinding: boolean,
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
  // Through a binding, the tunnel resolves the host on its own network: any address is fine there.
  if (!throughBinding) {
    const kind = addressKind(url.hostname);
    if (kind === 'private') {
      warnings.push(
        `${path}: ${url.hostname} is a private address: fine in local runs, but a deployed Worker cannot reach it; reach the node through a Workers VPC binding ("via", README "Deploying")`,
      );
    } else if (kind === 'public-ip') {
      warnings.push(
        `${path}: ${url.hostname} is a bare IP address: fine in local runs, but a deployed Worker cannot fetch an IP; give the node a DNS name`,
      );
    }
  }
  return url.origin;
}
