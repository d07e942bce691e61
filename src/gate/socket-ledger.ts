/**
 * The sockets one socket gate holds (gate/socket-gate.ts): for each, the AbortController of the fetch
 * that opened its node's leg, whose abort() ends both legs of the natively piped socket, with its id,
 * node, client and opening time. A handshake is held from the moment it is sent, so a node that goes
 * while it waits is cut too.
 *
 * An entry leaves when the socket's end is reported (the tail consumer reads it from the trace of the
 * handshake: tail/socket-ends.ts), when its node goes, when it reaches the gate's backstop age, or when
 * the gate retires. With ends reported, the ledger holds what is open now; entries are kept in opening
 * order, so the oldest are found first.
 */

export interface HeldSocket {
  /** The id the Worker gave the handshake (GATE_SOCKET_HEADER): how its end is reported. */
  readonly id: string;
  readonly node: string;
  /** The client key (rate-limits.ts clientKey) the socket counts against. */
  readonly client: string;
  /** Epoch ms the handshake was sent. */
  readonly openedAt: number;
  readonly controller: AbortController;
}

/**
 * Why a socket's fetch was aborted (its signal's reason): what a handshake still waiting is told.
 * `node-down`: its node stopped serving; `recycled`: held past the backstop, or its gate retired;
 * `timeout`: the node sent no handshake answer in time.
 */
export type CutReason = 'node-down' | 'recycled' | 'timeout';

/** How many sockets per node id. */
export type PerNode = Record<string, number>;

/** How many sockets in `perNode`, over every node. */
export function totalOf(perNode: PerNode): number {
  return Object.values(perNode).reduce((total, count) => total + count, 0);
}

export class SocketLedger {
  /** By socket id; insertion order is opening order. */
  private readonly held = new Map<string, HeldSocket>();
  /** Open sockets per client key (only keys with at least one). */
  private readonly perClient = new Map<string, number>();

  get size(): number {
    return this.held.size;
  }

  /** Sockets `client` holds here now. */
  heldBy(client: string): number {
    return this.perClient.get(client) ?? 0;
  }

  /** Holds a socket from the moment its handshake is sent (a repeated id replaces nothing: held once). */
  hold(id: string, node: string, client: string, openedAt: number): HeldSocket {
    const entry = { id, node, client, openedAt, controller: new AbortController() };
    if (!this.held.has(id)) {
      this.held.set(id, entry);
      this.perClient.set(client, this.heldBy(client) + 1);
    }
    return entry;
  }

  /** Lets go of a socket that never opened (its handshake failed or was refused), without aborting it. */
  release(entry: HeldSocket): void {
    if (this.held.get(entry.id) === entry) this.forget(entry);
  }

  /** The sockets whose end was reported: let go (nothing to abort); returns how many were held, per node. */
  ended(ids: Iterable<string>): PerNode {
    const counts: PerNode = {};
    for (const id of ids) {
      const entry = this.held.get(id);
      if (!entry) continue;
      this.forget(entry);
      counts[entry.node] = (counts[entry.node] ?? 0) + 1;
    }
    return counts;
  }

  /** Cuts every socket to one of `nodes` (down or disabled); returns how many, per node. */
  cutNodes(nodes: ReadonlySet<string>): PerNode {
    return this.cut((entry) => nodes.has(entry.node), false, 'node-down');
  }

  /** Cuts every socket opened before `time`; returns how many, per node. */
  cutOpenedBefore(time: number): PerNode {
    return this.cut((entry) => entry.openedAt < time, true, 'recycled');
  }

  /** Cuts the `count` oldest sockets; returns how many, per node. */
  cutOldest(count: number): PerNode {
    let left = count;
    return this.cut(() => left-- > 0, true, 'recycled');
  }

  /** Sockets held per node. */
  perNode(): PerNode {
    const counts: PerNode = {};
    for (const { node } of this.held.values()) counts[node] = (counts[node] ?? 0) + 1;
    return counts;
  }

  private forget(entry: HeldSocket): void {
    this.held.delete(entry.id);
    const left = this.heldBy(entry.client) - 1;
    if (left > 0) this.perClient.set(entry.client, left);
    else this.perClient.delete(entry.client);
  }

  /**
   * Aborts and forgets the entries `matches` picks; `ordered` stops at the first entry it does not
   * pick (the test is about age, and entries are in opening order).
   */
  private cut(matches: (entry: HeldSocket) => boolean, ordered: boolean, reason: CutReason): PerNode {
    const counts: PerNode = {};
    for (const entry of this.held.values()) {
      if (!matches(entry)) {
        if (ordered) break;
        continue;
      }
      this.forget(entry);
      entry.controller.abort(reason);
      counts[entry.node] = (counts[entry.node] ?? 0) + 1;
    }
    return counts;
  }
}
