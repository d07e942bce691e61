/**
 * Which node a request goes to: pure functions of the request's pin, the roster and availability.
 *
 * Contract: a node is only ever chosen from the configured roster. A cookie or parameter value is
 * matched exactly against roster ids and never turned into a host or URL; anything unknown, empty,
 * malformed or ambiguous is "no pin", never an error.
 */
import type { Config } from '../config/config';
import type { NodeConfig } from '../config/roster';
import type { AvailabilityOf } from '../wire/availability';
import type { RouteReason } from '../wire/route-reason';
import { chooseNewSessionNode, isFull, type Placement } from './balance';

export interface Pin {
  readonly node: NodeConfig;
  /** `url` when named by the sticky query parameter, `sticky` when by the cookie. */
  readonly source: 'url' | 'sticky';
}

export interface Route {
  readonly node: NodeConfig;
  readonly reason: RouteReason;
}

/** Is `pathname` the path `prefix` itself or below it (`/a` and `/a/b`, not `/ab`)? */
export function isWithin(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

/**
 * The node a request is pinned to: the sticky parameter if it names a roster node, else the sticky
 * cookie. A parameter that names no node does not hide a valid cookie: both are the client's word for
 * the same session, and the cookie is still a roster id.
 */
export function readPin(url: URL, cookieHeader: string | null, config: Config): Pin | undefined {
  // No query, no parameter: most requests skip building the URL's URLSearchParams.
  const byParam = url.search ? matchRoute(url.searchParams.getAll(config.stickyParam), config) : undefined;
  if (byParam) return { node: byParam, source: 'url' };
  const byCookie = matchRoute(cookieValues(cookieHeader, config.stickyCookie), config);
  return byCookie ? { node: byCookie, source: 'sticky' } : undefined;
}

/**
 * The roster node named by the given values, or undefined. The route is the text after the first `.`
 * (Co-browse writes `.CB_Server_1`), or the whole value when there is none, as Apache's
 * stickysession reads it. Repeated values must agree: two different names are ambiguous.
 */
function matchRoute(values: readonly string[], config: Config): NodeConfig | undefined {
  const [first] = values;
  if (first === undefined) return undefined;
  const route = routeOf(first);
  for (let i = 1; i < values.length; i++) if (routeOf(values[i] as string) !== route) return undefined;
  return config.nodesById.get(route);
}

function routeOf(value: string): string {
  const dot = value.indexOf('.');
  return dot === -1 ? value : value.slice(dot + 1);
}

/**
 * Every value of cookie `name` in a Cookie header (RFC 6265 section 5.4: `a=1; b=2`). Commas also
 * separate pairs because the Fetch API joins repeated Cookie headers with `, `; a comma is not a valid
 * cookie-octet, so no real value is split by it. Surrounding DQUOTEs are removed (RFC 6265 4.1.1).
 */
export function cookieValues(header: string | null, name: string): string[] {
  // A header that does not contain the name has no pair of that name: most new visitors' requests.
  if (!header?.includes(name)) return [];
  const values: string[] = [];
  for (const pair of header.split(/[;,]/)) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    values.push(
      value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value,
    );
  }
  return values;
}

/** Does `node` take new sessions now: serving, with a weight above 0, not full? */
export function takesNewSessions(
  node: NodeConfig,
  availabilityOf: AvailabilityOf,
  loadOf: Placement['loadOf'],
): boolean {
  return node.weight > 0 && availabilityOf(node) === 'serving' && !isFull(node, loadOf(node));
}

/**
 * The route of a request. Pinned to a serving or draining node: there, full or not (draining stops
 * only new sessions; capacity too). Pinned to a down or disabled node: a serving node, which ends the
 * session. No pin: a serving node chosen for a new session (worker/balance.ts). Undefined when no node
 * serves, `full` when every serving node is full.
 */
export function route(
  pin: Pin | undefined,
  config: Config,
  availabilityOf: AvailabilityOf,
  placement: Placement,
): Route | 'full' | undefined {
  if (pin && availabilityOf(pin.node) !== 'unavailable') return { node: pin.node, reason: pin.source };
  const node = chooseNewSessionNode(
    config.nodes,
    (candidate) => availabilityOf(candidate) === 'serving',
    placement,
  );
  return typeof node === 'object' ? { node, reason: pin ? 'owner-down' : 'balanced' } : node;
}

/**
 * Another serving node with room, not yet tried, chosen as for a new session, for a request whose node
 * failed before answering (undefined when none serves, `full` when all that do are full): reason
 * `owner-down` when the request was pinned to the failed node, `retry` when it was not.
 */
export function elsewhereRoute(
  config: Config,
  availabilityOf: AvailabilityOf,
  tried: ReadonlySet<string>,
  reason: 'owner-down' | 'retry',
  placement: Placement,
): Route | 'full' | undefined {
  const node = chooseNewSessionNode(
    config.nodes,
    (candidate) => !tried.has(candidate.id) && availabilityOf(candidate) === 'serving',
    placement,
  );
  return typeof node === 'object' ? { node, reason } : node;
}
