/**
 * What the health board tells the socket gates (gate/socket-gate.ts): the nodes whose sockets must
 * not stay open (unavailable now, or removed from the roster lately) and the roster. Pushed to every
 * gate that holds sockets once the current change is done, so the gates cut those sockets at once
 * without anyone polling, and answered to each gate's check-in. One per board.
 */
import type { Bindings } from '../config/bindings';
import type { Config } from '../config/config';
import { rosterViewOf } from '../config/live-config';
import { logEvent } from '../lib/log';
import { AT, type TrafficReport } from '../wire/counts';
import { type GateNews, gateNamed } from '../wire/gate-protocol';
import { GateRegistry } from './gate-registry';

/** How long the gates keep hearing that a removed node is gone (one whose push they missed, too). */
const REMOVED_NEWS_MS = 15 * 60_000;

export class GateBroadcast {
  private readonly gates = new GateRegistry();
  /** Nodes removed from the roster lately, and when. */
  private readonly removed = new Map<string, number>();
  /** Set while news is queued: the changes of one round of checks go out together. */
  private queued: Promise<void> | undefined;

  /**
   * `unavailable` names the roster nodes that serve nothing now (the board's health of them);
   * `waitUntil` keeps a push alive past the call that queued it.
   */
  constructor(
    private readonly env: Pick<Bindings, 'SOCKETS'>,
    private readonly config: () => Config,
    private readonly unavailable: (config: Config) => string[],
    private readonly waitUntil: (work: Promise<unknown>) => void,
  ) {}

  /** Command: gate `gate` checked in at `now` with `report`, running a version uploaded at `versionAt`. */
  heard(gate: string, versionAt: number, report: TrafficReport, now: number): void {
    const ended = Object.values(report.counts).some((row) => (row[AT.webSocketsEnded] ?? 0) > 0);
    this.gates.heard(gate, versionAt, now, ended);
  }

  /** Command: node `id` left the roster at `now`; the gates hear of it as gone for REMOVED_NEWS_MS. */
  nodeRemoved(id: string, now: number): void {
    this.removed.set(id, now);
  }

  /** Query (it forgets what is too old): the news at `now`. */
  news(now: number): GateNews {
    const config = this.config();
    const unavailable = this.unavailable(config);
    for (const [id, at] of this.removed) {
      if (now - at > REMOVED_NEWS_MS) this.removed.delete(id);
      else if (!config.nodesById.has(id)) unavailable.push(id);
    }
    return this.gates.news(unavailable, config.nodes.map(rosterViewOf), {
      connectTimeoutMs: config.connectTimeoutMs,
      backstopMs: config.sockets.maxAgeMs,
      perClient: config.sockets.perClient,
    });
  }

  /** Command: tells every gate heard from lately the news, once the current change is done. */
  tellSoon(): void {
    this.queued ??= Promise.resolve().then(async () => {
      this.queued = undefined;
      const now = Date.now();
      const news = this.news(now);
      const { locationHint } = this.config();
      await Promise.all(
        this.gates.live(now).map((gate) =>
          gateNamed(this.env, gate, locationHint)
            .news(news)
            .catch((error) => logEvent('socket gate unreachable', { gate, error: String(error) }, 'error')),
        ),
      );
    });
    this.waitUntil(this.queued);
  }
}
