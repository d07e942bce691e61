/**
 * The sockets one socket gate holds (proxy/socket-gate.ts): for each, the AbortController of the
 * fetch that opened its node's leg, whose abort() ends both legs of the natively piped socket, with
 * its node and its opening time. A handshake is held from the moment it is sent, so a node that goes
 * while it waits is cut too.
 *
 * The gate never learns that a piped socket ended (the runtime tells no one), so an entry stays until
 * its node goes, it reaches the gate's maximum age, or the gate retires: what bounds the ledger is
 * the rate of handshakes times that age (README "WebSockets"). Entries are kept in opening order, so
 * the oldest are found first.
 */

export interface HeldSocket {
  readonly node: string;
  /** Epoch ms the handshake was sent. */
  readonly openedAt: number;
  readonly controller: AbortController;
}

/**
 * Why a socket's fetch was aborted (its signal's reason): what a handshake still waiting is told.
 * `node-down`: its node stopped serving; `recycled`: held too long, or its gate retired; `timeout`:
 * the node sent no handshake answer in time.
 */
export type CutReason = 'node-down' | 'recycled' | 'timeout';

/** How many sockets per node id. */
export type PerNode = Record<string, number>;

export class SocketLedger {
  /** Insertion order is opening order. */
  private readonly held = new Set<HeldSocket>();

  get size(): number {
    return this.held.size;
  }

  /** Holds a socket from the moment its handshake is sent. */
  hold(node: string, openedAt: number): HeldSocket {
    const entry = { node, openedAt, controller: new AbortController() };
    this.held.add(entry);
    return entry;
  }

  /** Lets go of a socket that never opened (its handshake failed or was refused). */
  release(entry: HeldSocket): void {
    this.held.delete(entry);
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
    for (const { node } of this.held) counts[node] = (counts[node] ?? 0) + 1;
    return counts;
  }

  /**
   * Aborts and forgets the entries `matches` picks; `ordered` stops at the first entry it does not
   * pick (the test is about age, and entries are in opening order).
   */
  private cut(matches: (entry: HeldSocket) => boolean, ordered: boolean, reason: CutReason): PerNode {
    const counts: PerNode = {};
    for (const entry of this.held) {
      if (!matches(entry)) {
        if (ordered) break;
        continue;
      }
      this.held.delete(entry);
      entry.controller.abort(reason);
      counts[entry.node] = (counts[entry.node] ?? 0) + 1;
    }
    return counts;
  }
}
