import { describe, expect, it } from 'vitest';
import { SocketLedger } from '../../src/gate/socket-ledger';

/** A ledger holding sockets `s0`, `s1` ... to these nodes, opened at 0, 1, 2 ... ms by client `c`. */
function ledgerOf(nodes: string[]) {
  const ledger = new SocketLedger();
  const held = nodes.map((node, at) => ledger.hold(`s${at}`, node, 'c', at));
  return { ledger, held };
}

describe('the sockets a gate holds', () => {
  it('cuts every socket of the nodes that stopped serving, with the reason a waiting handshake reads', () => {
    const { ledger, held } = ledgerOf(['a', 'b', 'a', 'c']);
    expect(ledger.cutNodes(new Set(['a', 'c']))).toEqual({ a: 2, c: 1 });
    expect(held.map((socket) => socket.controller.signal.aborted)).toEqual([true, false, true, true]);
    expect(held[0]?.controller.signal.reason).toBe('node-down');
    expect(ledger.perNode()).toEqual({ b: 1 });
  });

  it('cuts the sockets opened before a time, oldest first, and no younger one', () => {
    const { ledger, held } = ledgerOf(['a', 'b', 'a', 'b']);
    expect(ledger.cutOpenedBefore(2)).toEqual({ a: 1, b: 1 });
    expect(held[1]?.controller.signal.reason).toBe('recycled');
    expect(ledger.size).toBe(2);
    expect(ledger.cutOpenedBefore(2)).toEqual({});
  });

  it('cuts a number of the oldest sockets (a retiring gate spreads its cuts)', () => {
    const { ledger, held } = ledgerOf(['a', 'b', 'c']);
    expect(ledger.cutOldest(2)).toEqual({ a: 1, b: 1 });
    expect(held[2]?.controller.signal.aborted).toBe(false);
    expect(ledger.cutOldest(0)).toEqual({});
    expect(ledger.cutOldest(5)).toEqual({ c: 1 });
    expect(ledger.size).toBe(0);
  });

  it('lets go of a handshake that failed without aborting it', () => {
    const { ledger, held } = ledgerOf(['a']);
    ledger.release(held[0] as NonNullable<(typeof held)[0]>);
    expect(ledger.size).toBe(0);
    expect(held[0]?.controller.signal.aborted).toBe(false);
  });

  it('lets go of the sockets whose end was reported, and only of those it holds', () => {
    const { ledger, held } = ledgerOf(['a', 'b', 'a']);
    expect(ledger.ended(['s0', 's2', 'unknown', 's0'])).toEqual({ a: 2 });
    expect(ledger.size).toBe(1);
    expect(ledger.perNode()).toEqual({ b: 1 });
    // Ended by itself: nothing to abort.
    expect(held[0]?.controller.signal.aborted).toBe(false);
    expect(ledger.ended(['s0'])).toEqual({});
  });

  it("counts each client's open sockets, whichever way they leave", () => {
    const ledger = new SocketLedger();
    const one = ledger.hold('x1', 'a', 'client-1', 0);
    ledger.hold('x2', 'a', 'client-1', 1);
    ledger.hold('x3', 'b', 'client-1', 2);
    ledger.hold('y1', 'a', 'client-2', 3);
    expect([ledger.heldBy('client-1'), ledger.heldBy('client-2'), ledger.heldBy('nobody')]).toEqual([
      3, 1, 0,
    ]);
    ledger.release(one);
    ledger.ended(['x2']);
    ledger.cutNodes(new Set(['b']));
    expect(ledger.heldBy('client-1')).toBe(0);
    ledger.cutOldest(1);
    expect(ledger.heldBy('client-2')).toBe(0);
    expect(ledger.size).toBe(0);
  });
});
