/**
 * Which node a new session goes to: a pure function of the serving nodes, their load, their weights,
 * the time and random numbers (passed in, so tests can choose them).
 *
 * The rules, and why:
 * - Capacity first: a node whose open sessions reached its `maxSessions` takes no new session; when
 *   every serving node is full the answer is `full` (the client is asked to retry), never an overload.
 * - Slow start scales the weight (HAProxy's `slowstart`): a node that began taking new sessions less
 *   than SLOW_START_S ago (it came back up, was enabled, or was added to a running board) has an
 *   effective weight of its weight times a share growing linearly from SLOW_START_FLOOR to 1 over the
 *   window. Both steps below use it: the node is drawn less often, and counts as loaded sooner (its
 *   sessions are divided by the smaller weight), so it fills up to its share of a warm node's load per
 *   unit of weight, as HAProxy's leastconn keys a server by its connections over its effective weight.
 *   Slow start only weakens a node, never takes one out of the draw: an earlier rule put a
 *   slow-starting node in the running with probability = share, and a loaded node left alone in the
 *   running won however loaded it was. Nodes the board found serving when it started are not slowed
 *   (wire/node-load.ts `servingSince`): they were warm, and slowing all of them at once only blurred
 *   the load rule (HAProxy never slow-starts its servers at its own start either).
 * - Least sessions by the power of two choices: two nodes drawn by effective weight, the one with
 *   fewer open sessions per unit of effective weight wins; a difference within the counts' noise
 *   (TIE_SESSIONS, or TIE_SHARE of the larger) is a tie, which goes to the first drawn, so equal load
 *   spreads by weight.
 *   The noise is real: counts are a few seconds old, and requests held past 250 ms come and go between
 *   hand-overs (HAND_OVER_MS); when quick requests still counted in flight too, one run of
 *   test/e2e/balancing.test.ts at equal load (20 sockets on each of three nodes) without the tie rule
 *   sent one node 67 of 600 new sessions instead of 200.
 *   Every isolate reads the same counts, a few seconds old: picking the least loaded node outright
 *   would send all of them to the same node until the counts catch up (herding); two random choices
 *   keep the spread and still avoid the loaded nodes (Mitzenmacher's result, HAProxy's and Envoy's
 *   remedy).
 */
import type { BalanceConfig } from '../config/config';
import type { NodeConfig } from '../config/roster';
import type { HealthSnapshot } from '../wire/health-snapshot';
import { atCapacity, loadFrom, type NodeLoad } from '../wire/node-load';

/** Where a slow-starting node's effective weight begins, as a fraction of its weight. */
export const SLOW_START_FLOOR = 0.1;

/** Sessions per unit of weight two nodes may differ by and still count as equally loaded... */
const TIE_SESSIONS = 2;
/** ...or this share of the larger of the two. */
const TIE_SHARE = 0.05;

/** What a choice reads about the candidates, and where its random numbers come from. */
export interface Placement {
  readonly loadOf: (node: NodeConfig) => NodeLoad;
  readonly balance: BalanceConfig;
  /** Epoch ms. */
  readonly now: number;
  /** Numbers in [0, 1): Math.random, or a test's sequence. */
  readonly random: () => number;
}

/** One placement per snapshot: a snapshot serves many requests, and is never changed. */
const placements = new WeakMap<HealthSnapshot, Placement>();
const withoutSnapshot = new WeakMap<BalanceConfig, Placement>();

/**
 * What choosing reads from `snapshot`: its load, and its time as "now" for slow start (an isolate
 * routes by a copy at most a couple of seconds old, against a window of a minute). Made once per
 * snapshot, so that a pinned request, which never chooses, pays one lookup for it.
 */
export function placementFrom(snapshot: HealthSnapshot | undefined, balance: BalanceConfig): Placement {
  const cache = snapshot ? placements : withoutSnapshot;
  const key = snapshot ?? balance;
  let placement = (cache as WeakMap<object, Placement>).get(key);
  if (placement?.balance !== balance) {
    placement = { loadOf: loadFrom(snapshot), balance, now: snapshot?.takenAt ?? 0, random: Math.random };
    (cache as WeakMap<object, Placement>).set(key, placement);
  }
  return placement;
}

/** Has `node` reached its capacity? */
export function isFull(node: NodeConfig, load: NodeLoad): boolean {
  return atCapacity(load.openSessions, node.maxSessions);
}

/**
 * The share of its weight a node serving since `since` competes with at `now` (1: all of it; null
 * `since`: serving since long ago, or since before the board started).
 */
export function slowStartShare(since: number | null, now: number, windowMs: number): number {
  if (since === null || windowMs === 0 || now - since >= windowMs) return 1;
  return SLOW_START_FLOOR + ((1 - SLOW_START_FLOOR) * Math.max(0, now - since)) / windowMs;
}

/**
 * The node for a new session among `nodes` that pass `eligible` (serving, not already tried) and have
 * a weight above 0: undefined when there is none, `full` when every one of them is full.
 */
export function chooseNewSessionNode(
  nodes: readonly NodeConfig[],
  eligible: (node: NodeConfig) => boolean,
  placement: Placement,
): NodeConfig | 'full' | undefined {
  const { loadOf, balance, now, random } = placement;
  const serving = nodes.filter((node) => node.weight > 0 && eligible(node));
  if (serving.length === 0) return undefined;
  const withRoom = serving.filter((node) => !isFull(node, loadOf(node)));
  if (withRoom.length === 0) return 'full';
  const weightOf = (node: NodeConfig) =>
    node.weight * slowStartShare(loadOf(node).servingSince, now, balance.slowStartMs);
  const first = drawByWeight(withRoom, random(), weightOf);
  if (balance.policy === 'random' || withRoom.length === 1) return first;
  const second = drawByWeight(
    withRoom.filter((node) => node !== first),
    random(),
    weightOf,
  );
  const perWeight = (node: NodeConfig) => loadOf(node).openSessions / weightOf(node);
  const [one, two] = [perWeight(first), perWeight(second)];
  return one - two > Math.max(TIE_SESSIONS, TIE_SHARE * one) ? second : first;
}

/**
 * One of `nodes` (not empty) by weight: `weightOf` (above 0; default the configured weight), `random`
 * in [0, 1).
 */
export function drawByWeight(
  nodes: readonly NodeConfig[],
  random: number,
  weightOf: (node: NodeConfig) => number = (node) => node.weight,
): NodeConfig {
  const total = nodes.reduce((sum, node) => sum + weightOf(node), 0);
  let point = random * total;
  for (const node of nodes) {
    point -= weightOf(node);
    if (point < 0) return node;
  }
  return nodes.at(-1) as NodeConfig;
}
