/**
 * The admin lockouts this isolate has heard of from the health board (board/login-lockout.ts keeps
 * the authority): a client key the board locked out is refused here until its lock ends, without
 * asking the board again, so a guesser's flood costs the one global object nothing once it is locked.
 * At most MAX_KEYS keys (the oldest goes first); time is passed in.
 */
const MAX_KEYS = 1000;

export class LockoutMemory {
  /** Key -> when its lock ends (epoch ms), in the order they were locked. */
  private readonly until = new Map<string, number>();

  /** The board said `key` is locked out until `until` (epoch ms). */
  locked(key: string, until: number): void {
    this.until.delete(key);
    this.until.set(key, until);
    if (this.until.size > MAX_KEYS) this.until.delete(this.until.keys().next().value as string);
  }

  isLocked(key: string, now: number): boolean {
    const end = this.until.get(key);
    if (end === undefined) return false;
    if (end > now) return true;
    this.until.delete(key);
    return false;
  }
}
