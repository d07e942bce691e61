import { describe, expect, it } from 'vitest';
import { LOCK_MS, LoginLockout, MAX_FAILURES, WINDOW_MS } from '../../src/board/login-lockout';
import { parseConfig } from '../../src/config/config';
import { ipv6Prefix64 } from '../../src/worker/rate-limits';
import { takesNewSessions } from '../../src/worker/routing';

describe('an IPv6 client is counted by its /64', () => {
  it.each([
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::', 'fe80:0:0:0::/64'],
  ])('%s -> %s', (address, prefix) => {
    expect(ipv6Prefix64(address)).toBe(prefix);
  });
});

describe('failed admin logins', () => {
  it(`lock a key out after ${MAX_FAILURES} within the window, for ${LOCK_MS / 1000} s`, () => {
    const lockout = new LoginLockout();
    for (let i = 0; i < MAX_FAILURES; i++) expect(lockout.failed('a', 1000 + i)).toBe(0);
    expect(lockout.failed('a', 2000)).toBe(2000 + LOCK_MS);
    expect(lockout.lockedUntil('a', 2000 + LOCK_MS - 1)).toBe(2000 + LOCK_MS);
    expect(lockout.lockedUntil('a', 2000 + LOCK_MS)).toBe(0);
    expect(lockout.lockedUntil('b', 2000)).toBe(0);
  });

  it('forget failures older than the window', () => {
    const lockout = new LoginLockout();
    for (let i = 0; i < MAX_FAILURES; i++) lockout.failed('a', i);
    expect(lockout.failed('a', WINDOW_MS + MAX_FAILURES)).toBe(0);
  });
});

describe('the admin token', () => {
  const base = { NODES: [{ id: 'a', url: 'http://a.example.com' }] };
  it('is refused when shorter than 32 characters, with the field named and the secret not echoed', () => {
    const result = parseConfig({ ...base, ADMIN_TOKEN: 'short-secret' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join()).toMatch(/^ADMIN_TOKEN: must be at least 32 characters/);
    expect(JSON.stringify(result)).not.toContain('short-secret');
  });

  it('is accepted from 32 characters, and may be unset (admin off)', () => {
    expect(parseConfig({ ...base, ADMIN_TOKEN: 'x'.repeat(32) }).ok).toBe(true);
    expect(parseConfig(base).ok).toBe(true);
  });
});

describe('a pin never puts a new session where new sessions may not go', () => {
  const node = (weight: number, maxSessions?: number) => ({
    id: 'n',
    origin: 'http://n',
    weight,
    via: undefined,
    maxSessions,
    fetcher: { fetch },
  });
  const open = (openSessions: number) => () => ({ openSessions, servingSince: null });
  it('weight 0, draining, unavailable or full: no new sessions; serving with weight and room: yes', () => {
    expect(takesNewSessions(node(1), () => 'serving', open(0))).toBe(true);
    expect(takesNewSessions(node(0), () => 'serving', open(0))).toBe(false);
    expect(takesNewSessions(node(1), () => 'draining', open(0))).toBe(false);
    expect(takesNewSessions(node(1), () => 'unavailable', open(0))).toBe(false);
    expect(takesNewSessions(node(1, 10), () => 'serving', open(9))).toBe(true);
    expect(takesNewSessions(node(1, 10), () => 'serving', open(10))).toBe(false);
  });
});
