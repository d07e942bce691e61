/**
 * When an outdated socket gate lets go of its sockets. A deploy resets a running object within the
 * code-update delay (5 min by default), leaving what it opened uncuttable; new Workers name new gates
 * (the version is in the name), so an old gate that hears of a newer version and has had no handshake
 * for RETIRE_IDLE_MS (its version is no longer in use) cuts its sockets, spread over RETIRE_SPREAD_MS
 * so their clients do not all reconnect at once, well before the reset. Pure: the time is passed in.
 */

/** An outdated gate retires once it has had no handshake this long (its version is still in use). */
const RETIRE_IDLE_MS = 30_000;
/** A retiring gate cuts its sockets over this long, so their clients do not all reconnect at once. */
const RETIRE_SPREAD_MS = 30_000;

export class Retirement {
  /** Epoch ms of the gate's last handshake. */
  private lastHandshakeAt = 0;
  /** Set once the gate starts cutting: when, and how many it held then. */
  private retiring: { readonly since: number; readonly held: number } | undefined;

  /** Command: a handshake came at `now`: the gate's version is in use, it does not retire. */
  handshake(now: number): void {
    this.lastHandshakeAt = now;
    this.retiring = undefined;
  }

  /**
   * Command, after a check-in at `now`: the gate (of a version uploaded at `versionAt`, holding `held`
   * sockets) starts retiring if a newer version is known and it has been idle long enough. True when
   * it starts now.
   */
  consider(newestVersionAt: number, versionAt: number, held: number, now: number): boolean {
    if (this.retiring || newestVersionAt <= versionAt || now - this.lastHandshakeAt <= RETIRE_IDLE_MS) {
      return false;
    }
    this.retiring = { since: now, held };
    return true;
  }

  /** Query: how many of the `size` sockets the gate holds are due to be cut by `now` (0: not retiring). */
  dueToCut(size: number, now: number): number {
    if (!this.retiring) return 0;
    const { since, held } = this.retiring;
    return size - Math.floor(held * Math.max(0, 1 - (now - since) / RETIRE_SPREAD_MS));
  }
}
