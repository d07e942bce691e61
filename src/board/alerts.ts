/**
 * Alerts: what the health board tells an operator's webhook (`ALERT_WEBHOOK_URL`), and how it gets
 * there. Every node transition (down, up, draining, disabled, active, removed, full, room again) and
 * "no node serving" (and serving again) becomes one alert, queued in the board's storage and delivered
 * off the health path: a failed delivery is tried again with backoff for up to DELIVERY_WINDOW_MS; a
 * delivered alert is never sent again.
 *
 * The body is JSON that Slack's incoming webhooks take as they are (`text`) and that any receiver can
 * read field by field. Each try is signed with its own timestamp (alert-signature.ts);
 * `X-Cobrowse-Edge-Alert` carries the alert's id (also in the body), the same on every try, so a receiver
 * can drop a repeat (a try whose answer was lost may have arrived).
 *
 * Only ALERT_WEBHOOK_URL itself is ever sent an alert: a redirect is not followed (it would carry the
 * signed alert wherever the webhook's host points), and counts as a failed try.
 */
import type { AlertConfig } from '../config/alert-webhook';
import { signedHeaders } from './alert-signature';

/** What happened, for a receiver to branch on. */
export type AlertEvent =
  | 'added'
  | 'down'
  | 'up'
  | 'draining'
  | 'disabled'
  | 'active'
  | 'removed'
  | 'full'
  | 'room'
  | 'no-node-serving'
  | 'serving-again';

export interface Alert {
  /** Unique per alert; the same on every try of it. */
  readonly id: string;
  readonly event: AlertEvent;
  /** The node it is about; null for the cluster. */
  readonly node: string | null;
  /** Epoch ms when it happened. */
  readonly at: number;
  readonly cause: string;
}

/** An alert waiting in the outbox: when to try it next, and how the tries went. */
interface Queued {
  readonly alert: Alert;
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastError: string | null;
}

/** One delivery's outcome, as the status page shows it. */
export interface Delivery {
  readonly alert: Alert;
  readonly outcome: 'delivered' | 'failed' | 'given up';
  /** Epoch ms of the try. */
  readonly at: number;
  readonly attempts: number;
  readonly error: string | null;
}

/** Alerts as the status JSON and page show them. */
export interface AlertState {
  readonly configured: boolean;
  /** Alerts waiting to be delivered (retries included). */
  readonly pending: number;
  readonly recent: readonly Delivery[];
}

/** How long an alert is tried, counted from when it happened. */
export const DELIVERY_WINDOW_MS = 10 * 60_000;
/** The first retry's wait, doubled on each try up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
/** A receiver that has not answered in this long failed this try. */
const DELIVERY_TIMEOUT_MS = 5000;
/** Deliveries kept for the status page. */
const KEPT = 20;
const OUTBOX_KEY = 'alerts:outbox';
const LOG_KEY = 'alerts:log';

export const ALERT_ID_HEADER = 'x-cobrowse-edge-alert';

/** The text a person reads (Slack shows it as the message). */
export function alertText(alert: Alert): string {
  const what = alert.node === null ? 'cobrowse-edge' : `Co-browse node ${alert.node}`;
  const verb: Record<AlertEvent, string> = {
    added: 'joined the cluster',
    down: 'is DOWN',
    up: 'is up again',
    draining: 'is draining (no new sessions)',
    disabled: 'is disabled',
    active: 'takes new sessions again',
    removed: 'was removed from the roster',
    full: 'is FULL (at its session limit)',
    room: 'has room for new sessions again',
    'no-node-serving': 'has NO node serving: new sessions get 503',
    'serving-again': 'has a node serving again',
  };
  return `${what} ${verb[alert.event]}: ${alert.cause}`;
}

/** The body sent for `alert`: Slack's `text`, and every field for other receivers. */
export function alertBody(alert: Alert): string {
  return JSON.stringify({ text: alertText(alert), ...alert, source: 'cobrowse-edge' });
}

/** What the outbox needs of the board's key-value store. */
interface Storage {
  get<T>(key: string): T | undefined;
  put<T>(key: string, value: T): void;
}

/**
 * The board's outbox of alerts (its SQLite key-value store): queued as they happen, delivered by
 * {@link deliverDue} off the health path, one delivery run at a time.
 */
export class AlertOutbox {
  private running: Promise<void> | undefined;

  constructor(private readonly kv: Storage) {}

  /** Command: queues an alert, due now. */
  add(event: AlertEvent, node: string | null, cause: string, at = Date.now()): void {
    const alert: Alert = { id: crypto.randomUUID(), event, node, at, cause };
    this.kv.put(OUTBOX_KEY, [...this.queued(), { alert, attempts: 0, nextAt: at, lastError: null }]);
  }

  /** Query: the last deliveries, newest first. */
  recent(): readonly Delivery[] {
    return this.kv.get<Delivery[]>(LOG_KEY) ?? [];
  }

  /** Query: alerts waiting to be delivered. */
  pending(): number {
    return this.queued().length;
  }

  /**
   * Command: delivers the alerts that are due, unless a run is already going (then that run's
   * promise). Never throws: a failure is kept for the next try and shown on the status page.
   */
  deliverDue(config: AlertConfig, now = Date.now()): Promise<void> {
    this.running ??= this.run(config, now).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(config: AlertConfig, now: number): Promise<void> {
    const due = this.queued().filter((item) => item.nextAt <= now);
    for (const item of due) {
      const error = await send(item.alert, config);
      const attempts = item.attempts + 1;
      // Taken from the outbox as it is now: alerts may have been added while this one was out.
      const rest = this.queued().filter((other) => other.alert.id !== item.alert.id);
      const at = Date.now();
      if (error === null) {
        this.kv.put(OUTBOX_KEY, rest);
        this.log({ alert: item.alert, outcome: 'delivered', at, attempts, error: null });
        continue;
      }
      const nextAt = at + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** item.attempts);
      if (nextAt - item.alert.at > DELIVERY_WINDOW_MS) {
        this.kv.put(OUTBOX_KEY, rest);
        this.log({ alert: item.alert, outcome: 'given up', at, attempts, error });
      } else {
        this.kv.put(OUTBOX_KEY, [...rest, { alert: item.alert, attempts, nextAt, lastError: error }]);
        this.log({ alert: item.alert, outcome: 'failed', at, attempts, error });
      }
    }
  }

  private queued(): Queued[] {
    return this.kv.get<Queued[]>(OUTBOX_KEY) ?? [];
  }

  private log(delivery: Delivery): void {
    this.kv.put(LOG_KEY, [delivery, ...this.recent()].slice(0, KEPT));
  }
}

/** One try: null when the receiver took it (2xx), else why not. */
async function send(alert: Alert, config: AlertConfig): Promise<string | null> {
  const body = alertBody(alert);
  try {
    const res = await fetch(config.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await signedHeaders(body, config.secret, Date.now())),
        [ALERT_ID_HEADER]: alert.id,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 300 && res.status < 400) return `answered ${res.status}: a redirect, not followed`;
    return res.ok ? null : `answered ${res.status}`;
  } catch (error) {
    return String((error as Error).message ?? error);
  }
}
