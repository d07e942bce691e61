/**
 * What the health board answers: every node's health as the board has it. The shared vocabulary of
 * the board, the isolates' copies, routing, the admin views and the metrics (a leaf: imports types only
 * from the health state machine).
 */
import type { NodeHealth } from './node-health';

export interface NodeStatus extends NodeHealth {
  readonly id: string;
  readonly origin: string;
  readonly weight: number;
  /** The Workers VPC binding that reaches the node; null = the Worker's own fetch. */
  readonly via: string | null;
  /**
   * Its open sessions when the board answered: WebSockets the socket gates hold plus requests waiting
   * for response headers, over every isolate and gate heard from recently (wire/node-load.ts).
   * Absent from an older board.
   */
  readonly openSessions?: number;
  /** Its configured `maxSessions`; null: no limit. */
  readonly maxSessions?: number | null;
}

export interface HealthSnapshot {
  /** Epoch ms when the board answered. */
  readonly takenAt: number;
  /** RPC calls the board has served since it started: the Worker's cost of reading health. */
  readonly calls: number;
  readonly nodes: readonly NodeStatus[];
}
