/**
 * The roster as operators change it at runtime: `NODES` from wrangler.toml is the base, and the health
 * board keeps, per node id, the change made at runtime (a node added or changed, or removed) on top of
 * it until an operator resets it. So a `NODES` edit deployed later still applies to every node nobody
 * changed at runtime, and a reset goes back to the file exactly. Pure: the board stores the changes.
 */
import { hostProblem } from './node-hosts';
import { MAX_NODES, parseRoster, tooManyNodes } from './roster';

/** A node as an operator sends it: the fields of a `NODES` entry, less the id (in the path). */
export type RosterEntry = Readonly<Record<string, unknown>>;

/** Per node id: the entry that replaces or adds the node, or null: removed. */
export type RosterChanges = Readonly<Record<string, RosterEntry | null>>;

/** Fields a runtime entry may carry (the id comes from the path). */
const ENTRY_FIELDS = new Set(['url', 'weight', 'via', 'maxSessions']);

/** The raw roster: `NODES` (as the env gives it) with `changes` applied, file order first. */
export function applyChanges(fileNodes: unknown, changes: RosterChanges): unknown[] {
  const file = Array.isArray(fileNodes) ? fileNodes : [];
  const ids = new Set<string>();
  const roster: unknown[] = [];
  for (const entry of file) {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !Object.hasOwn(changes, id)) {
      roster.push(entry);
      continue;
    }
    ids.add(id);
    const change = changes[id];
    if (change) roster.push({ id, ...change });
  }
  for (const [id, change] of Object.entries(changes)) {
    if (!ids.has(id) && change) roster.push({ id, ...change });
  }
  return roster;
}

/**
 * `changes` less the nodes whose URL `nodeHosts` does not allow (config/node-hosts.ts): such a change
 * is never accepted, but one stored before the list existed, or before it was narrowed, must not stay
 * reachable. A node left out is as if unchanged: the file's, or none.
 */
export function admittedChanges(changes: RosterChanges, nodeHosts: readonly string[]): RosterChanges {
  const refused = Object.keys(changes).filter((id) => hostProblem(changes[id]?.url, nodeHosts));
  if (refused.length === 0) return changes;
  return Object.fromEntries(Object.entries(changes).filter(([id]) => !refused.includes(id)));
}

/**
 * The problems of setting node `id` to `entry` (or removing it: null) on top of `changes`: the body's
 * own shape, then the whole roster after the change as `NODES` is checked (the same messages and
 * field paths, `NODES[3].url: ...`), its URL's host against `nodeHosts`, and a roster grown past
 * MAX_NODES. Empty when the change may be made.
 */
export function problemsOfChange(
  id: string,
  entry: unknown,
  fileNodes: unknown,
  changes: RosterChanges,
  env: Readonly<Record<string, unknown>>,
  nodeHosts: readonly string[],
): string[] {
  const problems: string[] = [];
  if (entry !== null) {
    if (typeof entry !== 'object' || Array.isArray(entry)) {
      return ['body: must be a JSON object { url, weight?, via?, maxSessions? }'];
    }
    for (const key of Object.keys(entry)) {
      if (!ENTRY_FIELDS.has(key)) problems.push(`body.${key}: unknown field (the id is in the path)`);
    }
    if (problems.length > 0) return problems;
  }
  const before = applyChanges(fileNodes, changes);
  const after = applyChanges(fileNodes, { ...changes, [id]: entry as RosterEntry | null });
  parseRoster(after, env, problems, []);
  const index = after.findIndex((node) => (node as { id?: unknown } | null)?.id === id);
  const refused = entry === null ? undefined : hostProblem((entry as RosterEntry).url, nodeHosts);
  if (refused) problems.push(`NODES[${index}].url: ${refused}`);
  // Only a change that adds a node is held to the cap: any roster may still shrink.
  if (after.length > before.length && after.length > MAX_NODES) problems.push(tooManyNodes(after.length));
  return problems;
}

/** `NODES` as the env gives it: its TOML value, or its JSON text parsed (undefined if unparsable). */
export function fileNodesOf(env: Readonly<Record<string, unknown>>): unknown {
  const raw = env.NODES;
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
