/**
 * What the health board tells the alert webhook, and the state that decides it: the outbox
 * (board/alerts.ts), the nodes last seen at their session limit, and whether any node served.
 * Owned by the board; changed by its transitions and roster changes (raise) and by each round (watch).
 */

import type { AlertConfig } from '../config/alert-webhook';
import { atCapacity } from '../wire/node-load';
import { type AlertEvent, AlertOutbox, type AlertState } from './alerts';

/** A node as one round sees it. */
export interface WatchedNode {
  readonly id: string;
  readonly maxSessions: number | undefined;
  readonly openSessions: number;
  /** Does it take new sessions now (serving, weight above 0)? */
  readonly serving: boolean;
}

export class ClusterAlerts {
  private readonly outbox: AlertOutbox;
  /** Nodes last seen at their session limit: `full` and `room` are told on a change. */
  private readonly full = new Set<string>();
  /** Whether a node served at the last round: `no-node-serving` and `serving-again` on a change. */
  private serving = true;

  constructor(
    kv: ConstructorParameters<typeof AlertOutbox>[0],
    /** The webhook, from the board's config; undefined: no alerts. */
    private readonly webhook: () => AlertConfig | undefined,
    /** Keeps a delivery running past the call that started it (the board's `waitUntil`). */
    private readonly background: (work: Promise<void>) => void,
  ) {
    this.outbox = new AlertOutbox(kv);
  }

  /** Command: one alert, queued and sent off the health path, when a webhook is set. */
  raise(event: AlertEvent, node: string | null, cause: string, at: number): void {
    if (!this.webhook()) return;
    this.outbox.add(event, node, cause, at);
    this.deliverDue();
  }

  /** Command: node `id` left the roster. */
  removed(id: string, at: number): void {
    this.full.delete(id);
    this.raise('removed', id, 'removed from the roster', at);
  }

  /** Command, once per round: alerts on what no single transition says (a node full, none serving). */
  watch(nodes: readonly WatchedNode[], now: number): void {
    let serving = false;
    for (const node of nodes) {
      const full = atCapacity(node.openSessions, node.maxSessions);
      if (full !== this.full.has(node.id)) {
        if (full) this.full.add(node.id);
        else this.full.delete(node.id);
        this.raise(
          full ? 'full' : 'room',
          node.id,
          `${node.openSessions} open sessions of ${node.maxSessions}`,
          now,
        );
      }
      serving ||= node.serving;
    }
    if (serving !== this.serving) {
      this.serving = serving;
      this.raise(
        serving ? 'serving-again' : 'no-node-serving',
        null,
        serving ? 'new sessions are taken again' : 'every node is down, draining, disabled or weighted 0',
        now,
      );
    }
  }

  /** Command: delivers the alerts that are due (retries included), in the background, one run at a time. */
  deliverDue(): void {
    const webhook = this.webhook();
    if (webhook && this.outbox.pending() > 0) this.background(this.outbox.deliverDue(webhook));
  }

  /** Query: whether a webhook is set, how many alerts wait, the last deliveries and failures. */
  state(): AlertState {
    return {
      configured: this.webhook() !== undefined,
      pending: this.outbox.pending(),
      recent: this.outbox.recent(),
    };
  }
}
