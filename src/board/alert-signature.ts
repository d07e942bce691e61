/**
 * How a receiver knows an alert try came from this board, and came now: Stripe's webhook signing
 * scheme. Each try carries its own time (`X-Cobrowse-Edge-Timestamp: <unix seconds>`) and
 * `X-Cobrowse-Edge-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under
 * ALERT_WEBHOOK_SECRET>`, so a changed timestamp breaks the signature and a receiver can refuse an old
 * one (a replay). The body carries the alert's unique id, signed with it, for refusing a repeat within
 * the tolerance (examples/verify-alert.mjs is the check docs/operating.md "Alerts" shows).
 */
import { hmacSha256Hex } from '../lib/hmac';

const SIGNATURE_HEADER = 'x-cobrowse-edge-signature';
export const TIMESTAMP_HEADER = 'x-cobrowse-edge-timestamp';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under secret>`; `timestamp` in unix seconds. */
async function signatureOf(body: string, timestamp: number, secret: string): Promise<string> {
  return `sha256=${await hmacSha256Hex(secret, `${timestamp}.${body}`)}`;
}

/** The headers that sign one try of `body`, sent at epoch ms `now`. */
export async function signedHeaders(
  body: string,
  secret: string,
  now: number,
): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: await signatureOf(body, timestamp, secret),
  };
}
