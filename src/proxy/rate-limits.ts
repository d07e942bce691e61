/**
 * Rate limits through the platform's Rate Limiting binding (`[[ratelimits]]` in wrangler.toml,
 * counted per Cloudflare location, per client address):
 *
 * - `ADMIN_AUTH_LIMIT`: failed admin authentications. Past the limit, every admin request from that
 *   address gets a 429 until the period is over, the right token included: a guesser cannot tell
 *   when it guessed right.
 * - `NEW_SESSION_LIMIT`: requests that start a session (a POST or a WebSocket handshake without a pin).
 *
 * A binding that is not configured limits nothing. A limited request reaches no node.
 */
import { EdgeError } from '../errors';

/**
 * The period of both bindings in wrangler.toml, in seconds: the binding does not report it, and a
 * client is told to come back after it (`Retry-After`).
 */
export const LIMIT_PERIOD_S = 60;

/** The client's address as Cloudflare saw it; one key for clients whose address is unknown. */
export function clientAddress(request: Request): string {
  return request.headers.get('cf-connecting-ip') ?? 'unknown';
}

export function tooManyRequests(code: string, message: string): EdgeError {
  return new EdgeError(429, code, message, {}, { 'retry-after': String(LIMIT_PERIOD_S) });
}

/** Counts one event for `key`; true when it went over the limit. No binding: never. */
export async function overLimit(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  if (!limiter) return false;
  const { success } = await limiter.limit({ key });
  return !success;
}

/**
 * Does this request start a session? A POST (CometD's handshake) or a WebSocket handshake without a
 * pin; a pinned request belongs to a session that exists and is never counted. Synchronous, so the
 * requests it rules out (nearly all) never await the limiter.
 */
export function startsSession(request: Request, pinned: boolean, webSocket: boolean): boolean {
  return !pinned && (webSocket || request.method === 'POST');
}

/** The 429 for a session start that is one too many from its address, or undefined. */
export async function newSessionRefusal(
  request: Request,
  limiter: RateLimit | undefined,
): Promise<EdgeError | undefined> {
  if (!(await overLimit(limiter, clientAddress(request)))) return undefined;
  return tooManyRequests(
    'too_many_new_sessions',
    `too many new Co-browse sessions from this address: try again in ${LIMIT_PERIOD_S} s`,
  );
}

/**
 * Addresses locked out of the admin API in this isolate, until when (epoch ms). The binding only
 * counts failures; this makes every request from a locked-out address fail for the rest of the period.
 * At most MAX_LOCKED entries: the oldest goes first.
 */
const locked = new Map<string, number>();
const MAX_LOCKED = 1000;

export function isLockedOut(address: string, now: number): boolean {
  const until = locked.get(address);
  if (until === undefined) return false;
  if (until > now) return true;
  locked.delete(address);
  return false;
}

export function lockOut(address: string, now: number): void {
  locked.delete(address);
  locked.set(address, now + LIMIT_PERIOD_S * 1000);
  if (locked.size > MAX_LOCKED) locked.delete(locked.keys().next().value as string);
}
