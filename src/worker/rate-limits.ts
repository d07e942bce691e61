/**
 * Rate limits through the platform's Rate Limiting binding (`[[ratelimits]]` in wrangler.toml,
 * counted per Cloudflare location, per client key: an IPv4 address, or an IPv6 /64, the block one
 * subscriber gets):
 *
 * - `NEW_SESSION_LIMIT`: requests that may start a session: a POST whose body is not, as the node
 *   would read it, only messages of existing sessions (session-start.ts), or a WebSocket handshake
 *   without a pin. A pin does not exempt a POST: node ids
 *   are public, every visitor's cookie carries one.
 * - `PINNED_REQUEST_LIMIT`: the other POSTs, those of sessions that exist (CometD connects and
 *   publishes), on a budget of their own, ten times larger.
 * - `HANDSHAKE_LIMIT`: every WebSocket handshake, pinned or not (an unpinned one counts as a new
 *   session too): a socket is held by a gate for as long as it is open, so opening them has a budget of
 *   its own, apart from the requests of sessions. What one client may hold open at once is the gates'
 *   cap (WEBSOCKETS_PER_CLIENT, gate/socket-gate.ts).
 *
 * - `ADMIN_REQUEST_LIMIT`: admin requests that carry a credential (admin/auth.ts), before the health
 *   board is asked about them. Failed admin logins are counted by the board, so that the lockout holds
 *   in every isolate.
 *
 * A binding that is not configured limits nothing. A limited request reaches
 * no node.
 */
import { EdgeError } from '../lib/errors';
import type { RequestHead } from './request-head';
import { mayStartSession } from './session-start';

/**
 * The period of the bindings in wrangler.toml, in seconds: the binding does not report it, and a
 * client is told to come back after it (`Retry-After`).
 */
export const LIMIT_PERIOD_S = 60;

/**
 * The key a client is counted under: its IPv4 address as Cloudflare saw it, or the /64 of its IPv6
 * address (one subscriber holds a whole /64: 2^64 addresses, one key); one key for unknown addresses.
 */
export function clientKey(headers: Headers): string {
  const address = headers.get('cf-connecting-ip') ?? 'unknown';
  return address.includes(':') ? ipv6Prefix64(address) : address;
}

/** `2001:db8:1:2:...` -> `2001:db8:1:2::/64`, whatever the address's spelling (`::` included). */
export function ipv6Prefix64(address: string): string {
  const [head = '', tail] = address.toLowerCase().split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...front, ...new Array(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
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

/** Is the request limited at all: a POST or a WebSocket handshake. Synchronous, so a GET never awaits. */
export function isLimited(method: string, webSocket: boolean): boolean {
  return webSocket || method === 'POST';
}

/**
 * The 429 for a limited request ({@link isLimited}) that is one too many from its client, or
 * undefined. `body` is what will be sent (read whole, streamed, or null).
 */
export async function limitRefusal(
  { headers, webSocket }: RequestHead,
  pinned: boolean,
  body: BodyInit | null,
  env: Pick<Env, 'NEW_SESSION_LIMIT' | 'PINNED_REQUEST_LIMIT' | 'HANDSHAKE_LIMIT'>,
): Promise<EdgeError | undefined> {
  const key = clientKey(headers);
  const newSession = webSocket ? !pinned : mayStartSession(body, headers.get('content-type'));
  if (newSession && (await overLimit(env.NEW_SESSION_LIMIT, key))) {
    return tooManyRequests(
      'too_many_new_sessions',
      `too many new Co-browse sessions from this address: try again in ${LIMIT_PERIOD_S} s`,
    );
  }
  if (webSocket) {
    return (await overLimit(env.HANDSHAKE_LIMIT, key))
      ? tooManyRequests(
          'too_many_handshakes',
          `too many Co-browse WebSocket handshakes from this address: try again in ${LIMIT_PERIOD_S} s`,
        )
      : undefined;
  }
  if (newSession || !(await overLimit(env.PINNED_REQUEST_LIMIT, key))) return undefined;
  return tooManyRequests(
    'too_many_requests',
    `too many Co-browse requests from this address: try again in ${LIMIT_PERIOD_S} s`,
  );
}
