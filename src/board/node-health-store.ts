/**
 * Every node's health as the health board stores it (its SQLite-backed synchronous KV), one key per
 * node, kept with where the node was measured: health measured at another origin, or through another
 * binding, is not this node's, and it starts afresh.
 */
import type { NodeConfig } from '../config/roster';
import type { NodeHealth } from '../wire/node-health';
import { addedHealth, initialHealth } from './health-machine';

/** What the board stores per node: its health, and where it was measured (origin, and binding). */
interface StoredNode {
  readonly origin: string;
  readonly via?: string | null;
  readonly health: NodeHealth;
}

const keyOf = (id: string) => `node:${id}`;

export class NodeHealthStore {
  /**
   * Is the board at its start? True when it had no node stored at its first read of a node not
   * stored, until it updates a node it had checked before (in practice: its second round of checks,
   * as the first round stores every node once). A node first seen meanwhile was found, not added: it
   * served before the board knew it, and takes its whole weight at once (state.ts `addedHealth`).
   * Null until that first read. In memory: a board restarted with nodes stored is past its start.
   */
  private starting: boolean | null = null;

  constructor(private readonly kv: SyncKvStorage) {}

  /**
   * Query: the node's health as stored for where it is now, or a fresh start (added at `now`, found
   * at the board's start or not, and `added` true) when the node is new to the board or is now
   * reached elsewhere. Spread over a fresh start: health stored by an older version gets the fields
   * it lacks. A node not stored yet is stored with its first update (its first check, within a round).
   */
  read(node: NodeConfig, now: number): { readonly health: NodeHealth; readonly added: boolean } {
    const stored = this.kv.get<StoredNode>(keyOf(node.id));
    const sameNode = stored && stored.origin === node.origin && (stored.via ?? null) === (node.via ?? null);
    if (sameNode) return { health: { ...initialHealth(), ...stored.health }, added: false };
    this.starting ??= this.isEmpty();
    return { health: addedHealth(now, this.starting), added: true };
  }

  /** Command: stores `health` as the node's, measured where the node is now. */
  put(node: NodeConfig, health: NodeHealth): void {
    const key = keyOf(node.id);
    if (this.starting && this.kv.get<StoredNode>(key)?.health.lastCheckAt != null) this.starting = false;
    this.kv.put<StoredNode>(key, { origin: node.origin, via: node.via ?? null, health });
  }

  /** Command: the node left the roster: its health goes. */
  forget(id: string): void {
    this.kv.delete(keyOf(id));
  }

  private isEmpty(): boolean {
    for (const _stored of this.kv.list({ prefix: keyOf(''), limit: 1 })) return false;
    return true;
  }
}
