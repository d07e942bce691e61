// Checks an alert from cobrowse-edge before it is trusted (docs/operating.md "Alerts"; the e2e tests run this file).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** An older timestamp is a replay. */
const TOLERANCE_S = 5 * 60;
/** A timestamp ahead of this receiver's clock by more is refused too. */
const SKEW_S = 30;
/** Ids are remembered past the sender's 10-minute retry window and the tolerance. */
const REMEMBER_MS = 15 * 60_000;

/**
 * A verifier for one receiver process, with the webhook's secret. It answers `{ ok: true, alert }` for
 * a new alert, or `{ ok: false, reason }`: 'signature' or 'timestamp' (refuse it: 401), 'repeat' (an id
 * already taken: answer 2xx, so the sender stops, and do not act on it again).
 * @param {string} secret ALERT_WEBHOOK_SECRET
 * @param {() => number} now the clock, epoch ms
 */
export function alertVerifier(secret, now = Date.now) {
  /** Alert ids taken, in the order taken, each with when it may be forgotten (epoch ms). */
  const seen = new Map();
  /**
   * @param {Record<string, string | string[] | undefined>} headers as Node's `request.headers` has them
   * @param {string | Buffer} rawBody the body's bytes as they came, before any parsing
   */
  return function verify(headers, rawBody) {
    const timestamp = String(headers['x-cobrowse-edge-timestamp'] ?? '');
    const given = Buffer.from(String(headers['x-cobrowse-edge-signature'] ?? ''));
    const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
    const expected = Buffer.from(`sha256=${mac}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'signature' };
    }
    const age = Math.floor(now() / 1000) - Number(timestamp);
    if (!/^\d+$/.test(timestamp) || age > TOLERANCE_S || age < -SKEW_S) {
      return { ok: false, reason: 'timestamp' };
    }
    for (const [id, until] of seen) {
      if (until > now()) break;
      seen.delete(id);
    }
    // The id from the signed body: the X-Cobrowse-Edge-Alert header says the same, unsigned.
    const alert = JSON.parse(String(rawBody));
    if (seen.has(alert.id)) return { ok: false, reason: 'repeat' };
    seen.set(alert.id, now() + REMEMBER_MS);
    return { ok: true, alert };
  };
}
