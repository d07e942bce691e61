/**
 * The socket gates the health board has heard from (gate/socket-gate.ts): each checks in every tick
 * while it holds sockets, so a gate not heard from for GATE_TTL_MS holds nothing (or is gone), and
 * needs no news. Kept in the board's memory only: after a reset of the board, every gate that holds
 * sockets is heard from again within a tick. Also the newest deployed version any gate runs, by its
 * upload time: how an old gate learns that it should retire. And when any gate last reported a
 * socket's end: whether the platform delivers the traces that report them (tail/), which every gate
 * hears, so a gate that has not seen an end itself still holds sockets up to the backstop.
 */
import type { RosterView } from '../config/live-config';
import type { GateNews, GateSettings } from '../wire/gate-protocol';

/** Three gate ticks (gate/socket-gate.ts TICK_MS = 5 s). */
export const GATE_TTL_MS = 15_000;

export class GateRegistry {
  private readonly heardAt = new Map<string, number>();
  private newestVersionAt = 0;
  private endsSeenAt = 0;

  /** Gate `gate` checked in at `now`, running a version uploaded at `versionAt`; `ended`: it counted ends. */
  heard(gate: string, versionAt: number, now: number, ended: boolean): void {
    this.heardAt.set(gate, now);
    this.newestVersionAt = Math.max(this.newestVersionAt, versionAt);
    if (ended) this.endsSeenAt = now;
  }

  /** The gates heard from within GATE_TTL_MS; the others are forgotten. */
  live(now: number): string[] {
    for (const [gate, at] of this.heardAt) if (now - at > GATE_TTL_MS) this.heardAt.delete(gate);
    return [...this.heardAt.keys()];
  }

  news(unavailable: readonly string[], roster: readonly RosterView[], settings: GateSettings): GateNews {
    return {
      unavailable,
      roster,
      settings,
      endsSeenAt: this.endsSeenAt,
      newestVersionAt: this.newestVersionAt,
    };
  }
}
