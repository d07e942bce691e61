/**
 * The socket gates the health board has heard from (proxy/socket-gate.ts): each checks in every tick
 * while it holds sockets, so a gate not heard from for GATE_TTL_MS holds nothing (or is gone), and
 * needs no news. Kept in the board's memory only: after a reset of the board, every gate that holds
 * sockets is heard from again within a tick. Also the newest deployed version any gate runs, by its
 * upload time: how an old gate learns that it should retire.
 */
import type { RosterView } from '../config/live-config';
import type { GateNews } from '../proxy/gate-protocol';

/** Three gate ticks (proxy/socket-gate.ts TICK_MS = 5 s). */
export const GATE_TTL_MS = 15_000;

export class GateRegistry {
  private readonly heardAt = new Map<string, number>();
  private newestVersionAt = 0;

  heard(gate: string, versionAt: number, now: number): void {
    this.heardAt.set(gate, now);
    this.newestVersionAt = Math.max(this.newestVersionAt, versionAt);
  }

  /** The gates heard from within GATE_TTL_MS; the others are forgotten. */
  live(now: number): string[] {
    for (const [gate, at] of this.heardAt) if (now - at > GATE_TTL_MS) this.heardAt.delete(gate);
    return [...this.heardAt.keys()];
  }

  news(unavailable: readonly string[], roster: readonly RosterView[]): GateNews {
    return { unavailable, roster, newestVersionAt: this.newestVersionAt };
  }
}
