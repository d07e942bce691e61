/**
 * Failed admin logins per client key (an IPv4 address or an IPv6 /64), kept by the health board so
 * that every isolate sees the same lockout: after MAX_FAILURES failures within WINDOW_MS, every admin
 * request from that key is refused for LOCK_MS, the right token included, so a guesser cannot tell
 * when it guessed right. At most MAX_KEYS keys are kept (the oldest goes first): a flood from many
 * addresses cannot make the board's memory grow without bound. Pure; time is passed in.
 */
export const MAX_FAILURES = 10;
export const WINDOW_MS = 60_000;
export const LOCK_MS = 60_000;
const MAX_KEYS = 10_000;

interface Entry {
  /** Times of the failures within the window, oldest first. */
  failures: number[];
  lockedUntil: number;
}

export class LoginLockout {
  private readonly entries = new Map<string, Entry>();

  /** When `key`'s lock ends (epoch ms), or 0 when it is not locked out at `now`. */
  lockedUntil(key: string, now: number): number {
    const until = this.entries.get(key)?.lockedUntil ?? 0;
    return until > now ? until : 0;
  }

  /** Records a failed login; when the key's lock ends (epoch ms), or 0 when it is not locked out. */
  failed(key: string, now: number): number {
    const entry = this.entries.get(key) ?? { failures: [], lockedUntil: 0 };
    // Moved to the end: the map's order is the order of last use.
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.failures = [...entry.failures.filter((at) => at > now - WINDOW_MS), now];
    if (entry.failures.length > MAX_FAILURES) entry.lockedUntil = now + LOCK_MS;
    if (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value as string);
    return this.lockedUntil(key, now);
  }
}
