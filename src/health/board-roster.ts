/**
 * The roster as the health board keeps it (config/roster-changes.ts): `NODES` from the Worker's env,
 * with the changes operators made at runtime, nodes being removed once quiet, and the last changes made
 * (who, when, what). Owned by the board; its storage is the board's SQLite key-value store.
 */
import type { Config } from '../config/config';
import { configFor } from '../config/load';
import { parseRoster } from '../config/roster';
import {
  applyChanges,
  fileNodesOf,
  problemsOfChange,
  type RosterChanges,
  type RosterEntry,
} from '../config/roster-changes';
import type { NodeCounts } from '../telemetry/counts';
import { HAND_OVER_MS } from '../telemetry/hand-over';

const CHANGES_KEY = 'roster:changes';
const REMOVALS_KEY = 'roster:removals';
const AUDIT_KEY = 'roster:audit';
/** Roster changes kept for the status page. */
const AUDIT_KEPT = 20;
/**
 * A node to be removed goes once nothing was open or counted on it for this long: an isolate with
 * traffic on it hands its counts over within HAND_OVER_MS, so twice that without any is no session.
 */
const QUIET_BEFORE_REMOVAL_MS = 2 * HAND_OVER_MS;

/** One change of the roster, as the admin log and the status page show it. */
export interface RosterChange {
  /** Epoch ms. */
  readonly at: number;
  /** Who: the admin credential's kind and the client address (admin/ops-app.tsx). */
  readonly by: string;
  readonly action: 'set' | 'remove' | 'removed' | 'reset';
  readonly node: string | null;
  readonly entry?: RosterEntry;
}

/** A removal waiting for its node to be quiet: asked at, by whom. */
export interface PendingRemoval {
  readonly at: number;
  readonly by: string;
}

/** The roster's runtime state, for the status page and JSON. */
export interface RosterState {
  readonly pendingRemovals: Readonly<Record<string, PendingRemoval>>;
  readonly recentChanges: readonly RosterChange[];
}

type Storage = DurableObjectStorage['kv'];

export class BoardRoster {
  private changes: RosterChanges;
  private removals: Record<string, PendingRemoval>;
  private effective:
    | { readonly base: Config; readonly changes: RosterChanges; readonly config: Config }
    | undefined;

  constructor(
    private readonly kv: Storage,
    private readonly env: Readonly<Record<string, unknown>>,
  ) {
    this.changes = kv.get<RosterChanges>(CHANGES_KEY) ?? {};
    this.removals = kv.get<Record<string, PendingRemoval>>(REMOVALS_KEY) ?? {};
  }

  /** Query: the Worker's config with the roster as changed at runtime (parsed again only on a change). */
  config(): Config {
    const base = configFor(this.env as Parameters<typeof configFor>[0]);
    const { effective, changes } = this;
    if (effective?.base === base && effective.changes === changes) return effective.config;
    let config = base;
    if (Object.keys(changes).length > 0) {
      const nodes = parseRoster(applyChanges(fileNodesOf(this.env), changes), this.env, [], []);
      config = { ...base, nodes, nodesById: new Map(nodes.map((node) => [node.id, node])) };
    }
    this.effective = { base, changes, config };
    return config;
  }

  /** Query: what setting `id` to `entry` (null: removing it) would break; empty when it may be made. */
  problemsOf(id: string, entry: unknown): string[] {
    return problemsOfChange(id, entry, fileNodesOf(this.env), this.changes, this.env);
  }

  /** Query: removals waiting for their node to be quiet. */
  pending(): Readonly<Record<string, PendingRemoval>> {
    return this.removals;
  }

  /**
   * Query: the pending removals due at `now`, as [node, who asked]: nothing open on the node (no
   * socket held, no request in flight, by `gauges`) and nothing counted on it (`lastActive`) for
   * QUIET_BEFORE_REMOVAL_MS since the removal was asked: no session in use.
   */
  dueRemovals(
    gauges: NodeCounts,
    lastActive: Readonly<Record<string, number>>,
    now: number,
  ): Array<[id: string, by: string]> {
    const due: Array<[string, string]> = [];
    for (const [id, { at, by }] of Object.entries(this.removals)) {
      const open = (gauges[id] ?? []).some((value) => value > 0);
      const since = Math.max(at, lastActive[id] ?? 0);
      if (!open && now - since >= QUIET_BEFORE_REMOVAL_MS) due.push([id, by]);
    }
    return due;
  }

  /** Query: the last changes, newest first. */
  audit(): readonly RosterChange[] {
    return this.kv.get<RosterChange[]>(AUDIT_KEY) ?? [];
  }

  /** Command: node `id` is added or changed (a pending removal of it is called off). */
  set(id: string, entry: RosterEntry, by: string): void {
    this.write({ ...this.changes, [id]: entry });
    this.unpend(id);
    this.log({ at: Date.now(), by, action: 'set', node: id, entry });
  }

  /** Command: node `id` is to go once quiet (the board drains it meanwhile). */
  removeWhenQuiet(id: string, by: string): void {
    this.removals = { ...this.removals, [id]: { at: Date.now(), by } };
    this.kv.put(REMOVALS_KEY, this.removals);
    this.log({ at: Date.now(), by, action: 'remove', node: id });
  }

  /** Command: node `id` leaves the roster now. */
  remove(id: string, by: string): void {
    this.write({ ...this.changes, [id]: null });
    this.unpend(id);
    this.log({ at: Date.now(), by, action: 'removed', node: id });
  }

  /** Command: every runtime change is dropped: the roster is `NODES` again. */
  reset(by: string): void {
    this.write({});
    this.removals = {};
    this.kv.put(REMOVALS_KEY, this.removals);
    this.log({ at: Date.now(), by, action: 'reset', node: null });
  }

  private write(changes: RosterChanges): void {
    this.changes = changes;
    this.kv.put(CHANGES_KEY, changes);
  }

  private unpend(id: string): void {
    if (!Object.hasOwn(this.removals, id)) return;
    const { [id]: _done, ...rest } = this.removals;
    this.removals = rest;
    this.kv.put(REMOVALS_KEY, rest);
  }

  private log(change: RosterChange): void {
    this.kv.put(AUDIT_KEY, [change, ...this.audit()].slice(0, AUDIT_KEPT));
  }
}
