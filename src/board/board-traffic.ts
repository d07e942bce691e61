/**
 * The traffic the health board keeps (board/traffic.ts): the isolates' hand-overs and the socket
 * gates' check-ins summed and stored (traffic-storage.ts), each reporter's gauges of open work in
 * memory (every reporter sends them again within a second or a tick), and how many of the board's
 * calls carried an isolate's counts. One per board; only {@link BoardTraffic.record} changes it.
 */
import type { NodeCounts, TrafficReport } from '../wire/counts';
import {
  currentGauges,
  type IsolateGauges,
  record,
  type TrafficState,
  type TrafficView,
  trafficView,
} from './traffic';
import { TrafficStorage } from './traffic-storage';

/** Who handed a report over: an isolate's hand-over is one of the board's counted calls. */
export type Reporter = 'isolate' | 'gate';

export class BoardTraffic {
  /** Loaded from storage on first use. */
  private state: TrafficState | undefined;
  private readonly reporters: IsolateGauges = new Map();
  private handOvers = 0;
  private readonly storage: TrafficStorage;

  constructor(kv: SyncKvStorage) {
    this.storage = new TrafficStorage(kv);
  }

  /** Command: adds `report`, handed over at `now`, and stores what it changed. */
  record(report: TrafficReport, from: Reporter, now: number): void {
    if (from === 'isolate') this.handOvers++;
    const state = this.stored(now);
    this.storage.save(state, record(state, this.reporters, report, now));
  }

  /** Query: work open per node at `now`, summed over the reporters heard from lately. */
  gauges(now: number): NodeCounts {
    return currentGauges(this.reporters, now);
  }

  /** Query: per node, the last time anything was open or counted on it (epoch ms). */
  lastActive(now: number): Readonly<Record<string, number>> {
    return this.stored(now).lastActive;
  }

  /** Query: the traffic of each of `nodeIds` at `now`, as the status page and the metrics show it. */
  view(nodeIds: readonly string[], now: number): TrafficView {
    return trafficView(this.stored(now), this.reporters, nodeIds, now, this.handOvers);
  }

  private stored(now: number): TrafficState {
    this.state ??= this.storage.load(now);
    return this.state;
  }
}
