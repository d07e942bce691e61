import { describe, expect, it } from 'vitest';
import { GateRoster } from '../../src/gate/gate-roster';
import type { GateNews } from '../../src/wire/gate-protocol';

const roster = [
  { id: 'a', origin: 'http://a.example.com:8700', weight: 1, via: null },
  { id: 'b', origin: 'http://b.example.com:8700', weight: 1, via: 'NET' },
];
const net = { fetch: () => Promise.reject(new Error('not reached')), connect() {} };
const newGate = (env: Record<string, unknown> = { NET: net }) => new GateRoster(env as never);

describe("what a gate knows, from the board's news only", () => {
  it('knows no node before its first news, and works by the documented defaults', () => {
    const gate = newGate();
    expect(gate.knows('a')).toBe(false);
    expect(gate.settings).toEqual({ connectTimeoutMs: 45_000, backstopMs: 86_400_000, perClient: 200 });
  });

  it('takes the roster (reaching a node through the binding its `via` names), the nodes that serve nothing and the settings', () => {
    const gate = newGate();
    const settings = { connectTimeoutMs: 1000, backstopMs: 10_000, perClient: 5 };
    const cut = gate.heard({ roster, unavailable: ['b'], settings, endsSeenAt: 7, newestVersionAt: 0 });
    expect([...cut]).toEqual(['b']);
    expect([gate.knows('a'), gate.knows('b'), gate.knows('c')]).toEqual([true, true, false]);
    expect(gate.node('b')?.fetcher).toBe(net);
    expect(gate.node('a')?.fetcher).toBe(globalThis);
    expect([gate.isUnavailable('a'), gate.isUnavailable('b')]).toEqual([false, true]);
    expect([gate.settings, gate.endsSeenAt]).toEqual([settings, 7]);
  });

  it('leaves out a node whose binding this script lacks: a gate never reaches it another way', () => {
    const gate = newGate({});
    gate.heard({ roster, unavailable: [], newestVersionAt: 0 });
    expect([gate.knows('a'), gate.knows('b')]).toEqual([true, false]);
  });

  it('keeps what it knew when a board older than the gates sends no settings', () => {
    const gate = newGate();
    const settings = { connectTimeoutMs: 1000, backstopMs: 10_000, perClient: 5 };
    gate.heard({ roster, unavailable: [], settings, endsSeenAt: 3, newestVersionAt: 0 });
    const older: GateNews = { roster, unavailable: [], newestVersionAt: 0 };
    gate.heard(older);
    expect([gate.settings, gate.endsSeenAt]).toEqual([settings, 3]);
  });
});
