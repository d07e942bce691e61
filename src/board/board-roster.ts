/**
 * The roster as the health board keeps it (config/roster-changes.ts): `NODES` from the Worker's env,
 * with the changes operators made at runtime (those on hosts `NODE_HOSTS` allows), nodes being removed
 * once quiet or at their deadline, and the last changes made (who, when, what). Owned by the board; its
 * storage is the board's SQLite key-value store.
 */
import type { Config } from '../config/config';
import { configFor } from '../config/load';
import { parseRoster } from '../config/roster';
import {
  admittedChanges,
  applyChanges,
  fileNodesOf,
  problemsOfChange,
  type RosterChanges,
  type RosterEntry,
} from '../config/roster-changes';
import { logEvent } from '../lib/log';
import type { NodeCounts } from '../wire/counts';
import { HAND_OVER_MS } from '../wire/hand-over';

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
/**
 * When a removal asked without a deadline is forced: a client pinned to the node that keeps asking
 * (a tab left open, polling) would otherwise keep it in the roster for good. Half an hour, the
 * docs/operating.md's rolling-upgrade drain: a support call's Co-browse session ends on its own well before.
 */
export const REMOVAL_DEADLINE_S = 1800;

/** One change of the roster, as the admin log and the status page show it. */
export interface RosterChange {
  /** Epoch ms. */
  readonly at: number;
  /** Who: the admin credential's kind and the client address (admin/ops-app.tsx). */
  readonly by: string;
  readonly action: 'set' | 'remove' | 'removed' | 'reset';
  readonly node: string | null;
  readonly entry?: RosterEntry;
  /** Why a pending removal was done: the node was `quiet`, or its `deadline` passed. */
  readonly cause?: RemovalCause;
}

export type RemovalCause = 'quiet' | 'deadline';

/** A removal waiting for its node to be quiet: asked at, by whom, and when it is forced (epoch ms). */
export interface PendingRemoval {
  readonly at: number;
  readonly by: string;
  /** The removal is forced at the first round of checks after it, quiet or not. */
  readonly deadline: number;
}

/** The roster's runtime state, for the status page and JSON. */
export interface RosterState {
  readonly pendingRemovals: Readonly<Record<string, PendingRemoval>>;
  readonly recentChanges: readonly RosterChange[];
}

/** Node `id`'s pending removal, if any (its own key only: a node may be named `toString`). */
export function pendingRemovalOf(state: RosterState, id: string): PendingRemoval | undefined {
  return Object.hasOwn(state.pendingRemovals, id) ? state.pendingRemovals[id] : undefined;
}

type Storage = DurableObjectStorage['kv'];

interface EffectiveRoster {
  readonly base: Config;
  /** The changes as stored, and those of them the base config's NODE_HOSTS admits. */
  readonly changes: RosterChanges;
  readonly admitted: RosterChanges;
  readonly config: Config;
}

export class BoardRoster {
  private changes: RosterChanges;
  private removals: Record<string, PendingRemoval>;
  /** The roster worked out from the Worker's config and the changes, again only when either changed. */
  private effective: EffectiveRoster | undefined;

  constructor(
    private readonly kv: Storage,
    private readonly env: Readonly<Record<string, unknown>>,
  ) {
    this.changes = kv.get<RosterChanges>(CHANGES_KEY) ?? {};
    const stored =
      kv.get<Record<string, Omit<PendingRemoval, 'deadline'> & { deadline?: number }>>(REMOVALS_KEY);
    // A removal stored before removals had deadlines gets the default one.
    this.removals = Object.fromEntries(
      Object.entries(stored ?? {}).map(([id, { at, by, deadline }]) => [
        id,
        { at, by, deadline: deadline ?? at + REMOVAL_DEADLINE_S * 1000 },
      ]),
    );
  }

  /** Query: the Worker's config with the roster as changed at runtime. */
  config(): Config {
    return this.worked().config;
  }

  /** Query: what setting `id` to `entry` (null: removing it) would break; empty when it may be made. */
  problemsOf(id: string, entry: unknown): string[] {
    const { base, admitted } = this.worked();
    return problemsOfChange(id, entry, fileNodesOf(this.env), admitted, this.env, base.nodeHosts);
  }

  /** Query: removals waiting for their node to be quiet. */
  pending(): Readonly<Record<string, PendingRemoval>> {
    return this.removals;
  }

  /**
   * Query: the pending removals due at `now`, as [node, who asked, why]: `quiet`, nothing open on the
   * node (no socket held, no request in flight, by `gauges`) and nothing counted on it (`lastActive`)
   * for QUIET_BEFORE_REMOVAL_MS since the removal was asked: no session in use; or `deadline`, its
   * deadline passed, whatever is still open.
   */
  dueRemovals(
    gauges: NodeCounts,
    lastActive: Readonly<Record<string, number>>,
    now: number,
  ): Array<[id: string, by: string, cause: RemovalCause]> {
    const due: Array<[string, string, RemovalCause]> = [];
    for (const [id, { at, by, deadline }] of Object.entries(this.removals)) {
      const open = (gauges[id] ?? []).some((value) => value > 0);
      const since = Math.max(at, lastActive[id] ?? 0);
      if (!open && now - since >= QUIET_BEFORE_REMOVAL_MS) due.push([id, by, 'quiet']);
      else if (now >= deadline) due.push([id, by, 'deadline']);
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

  /**
   * Command: node `id` is to go once quiet (the board drains it meanwhile), or at `deadline` (epoch
   * ms; default REMOVAL_DEADLINE_S from now) if it is not quiet by then.
   */
  removeWhenQuiet(id: string, by: string, deadline?: number): void {
    const at = Date.now();
    const removal = { at, by, deadline: deadline ?? at + REMOVAL_DEADLINE_S * 1000 };
    this.removals = { ...this.removals, [id]: removal };
    this.kv.put(REMOVALS_KEY, this.removals);
    this.log({ at, by, action: 'remove', node: id });
  }

  /** Command: node `id` leaves the roster now; `cause` when a pending removal came due. */
  remove(id: string, by: string, cause?: RemovalCause): void {
    this.write({ ...this.changes, [id]: null });
    this.unpend(id);
    this.log({ at: Date.now(), by, action: 'removed', node: id, ...(cause ? { cause } : {}) });
  }

  /** Command: every runtime change is dropped: the roster is `NODES` again. */
  reset(by: string): void {
    this.write({});
    this.removals = {};
    this.kv.put(REMOVALS_KEY, this.removals);
    this.log({ at: Date.now(), by, action: 'reset', node: null });
  }

  /**
   * The roster from the Worker's config (parsed once per env; a broken one throws its 500) and the
   * stored changes its `nodeHosts` admits (config/roster-changes.ts `admittedChanges`; one left out
   * is logged), worked out again only when either changed.
   */
  private worked(): EffectiveRoster {
    const base = configFor(this.env as Parameters<typeof configFor>[0]);
    const { effective, changes } = this;
    if (effective?.base === base && effective.changes === changes) return effective;
    const admitted = admittedChanges(changes, base.nodeHosts);
    const leftOut = Object.keys(changes).filter((id) => !Object.hasOwn(admitted, id));
    if (leftOut.length > 0) logEvent('roster', { leftOut, reason: 'host not in NODE_HOSTS' }, 'warn');
    let config = base;
    if (Object.keys(admitted).length > 0) {
      const nodes = parseRoster(applyChanges(fileNodesOf(this.env), admitted), this.env, [], []);
      config = { ...base, nodes, nodesById: new Map(nodes.map((node) => [node.id, node])) };
    }
    this.effective = { base, changes, admitted, config };
    return this.effective;
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
