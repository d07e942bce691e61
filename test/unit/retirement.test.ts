import { describe, expect, it } from 'vitest';
import { Retirement } from '../../src/gate/retirement';

describe('an outdated gate retiring', () => {
  it('starts only once a newer version is known and it has had no handshake for 30 s', () => {
    const retirement = new Retirement();
    retirement.handshake(1_000);
    // No newer version: never.
    expect(retirement.consider(5, 5, 10, 100_000)).toBe(false);
    // Newer, but a handshake 20 s ago: its version is still in use.
    retirement.handshake(80_000);
    expect(retirement.consider(6, 5, 10, 100_000)).toBe(false);
    expect(retirement.dueToCut(10, 100_000)).toBe(0);
    // Idle for more than 30 s: starts, once.
    expect(retirement.consider(6, 5, 10, 110_001)).toBe(true);
    expect(retirement.consider(6, 5, 10, 110_002)).toBe(false);
  });

  it('cuts its sockets spread over 30 s, oldest share first, and stops when a handshake comes', () => {
    const retirement = new Retirement();
    expect(retirement.consider(6, 5, 10, 40_000)).toBe(true);
    expect(retirement.dueToCut(10, 40_000)).toBe(0);
    expect(retirement.dueToCut(10, 55_000)).toBe(5);
    // Five were cut: the other five are due by the end of the spread.
    expect(retirement.dueToCut(5, 70_000)).toBe(5);
    retirement.handshake(71_000);
    expect(retirement.dueToCut(5, 80_000)).toBe(0);
  });
});
