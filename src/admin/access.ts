/**
 * Cloudflare Access in front of the admin plane: Access signs every request it lets through with an
 * assertion (`Cf-Access-Jwt-Assertion`, an RS256 JWT) whose issuer is the team domain and whose
 * audience is the application's tag. The router checks it itself (Cloudflare's advice: a request
 * that reached the Worker some other way, through a route Access does not cover, carries none), with
 * the team's public keys from `<team domain>/cdn-cgi/access/certs`.
 *
 * The keys are kept by the isolate ({@link AccessKeys}) for KEYS_TTL_MS; an assertion signed by a key
 * not among them (Access rotates its keys) fetches them again, at most once per REFETCH_MS, so a
 * flood of forged assertions with made-up key ids costs one fetch, not one per request.
 */
import { decode, verifyWithJwks } from 'hono/jwt';
import type { AccessConfig } from '../config/admin-config';

/** The header Access adds to the requests it lets through. */
export const ACCESS_ASSERTION_HEADER = 'cf-access-jwt-assertion';

const KEYS_TTL_MS = 3_600_000;
const REFETCH_MS = 30_000;
const FETCH_TIMEOUT_MS = 5000;

type Jwk = JsonWebKey & { kid?: string };

interface KeySet {
  readonly url: string;
  readonly keys: readonly Jwk[];
  readonly fetchedAt: number;
}

/** The outcome of checking an assertion: the identity Access vouched for, or why it was refused. */
export type AccessCheck =
  | { readonly ok: true; readonly identity: string }
  | { readonly ok: false; readonly why: string };

export class AccessKeys {
  private current: KeySet | undefined;
  private fetching: Promise<KeySet> | undefined;
  /** When the keys were last asked for, whether or not the fetch worked. */
  private triedAt = Number.NEGATIVE_INFINITY;

  /** Checks `assertion` against `access` at `now` (epoch ms). */
  async check(assertion: string | null, access: AccessConfig, now: number): Promise<AccessCheck> {
    if (!assertion) return { ok: false, why: 'no Access assertion came with the request' };
    const kid = keyIdOf(assertion);
    if (kid === undefined) return { ok: false, why: 'the Access assertion is not a signed JWT' };
    let keys: readonly Jwk[];
    try {
      keys = await this.keysFor(access.certsUrl, kid, now);
    } catch (error) {
      return { ok: false, why: `the Access keys could not be fetched (${(error as Error).message})` };
    }
    try {
      const payload = await verifyWithJwks(assertion, {
        keys: [...keys] as NonNullable<Parameters<typeof verifyWithJwks>[1]['keys']>,
        allowedAlgorithms: ['RS256'],
        verification: { iss: access.issuer, aud: access.audience },
      });
      if (typeof payload.exp !== 'number') return { ok: false, why: 'the Access assertion has no expiry' };
      const identity = payload.email ?? payload.common_name ?? payload.sub;
      return { ok: true, identity: typeof identity === 'string' ? identity : 'an Access identity' };
    } catch (error) {
      return { ok: false, why: `the Access assertion was refused (${(error as Error).name})` };
    }
  }

  /**
   * The team's keys: the ones held while they are under KEYS_TTL_MS old and know `kid`; otherwise
   * fetched again, but not within REFETCH_MS of the last try (the held ones, or an error, meanwhile).
   */
  private async keysFor(url: string, kid: string, now: number): Promise<readonly Jwk[]> {
    const held = this.current?.url === url ? this.current : undefined;
    const fresh = held !== undefined && now - held.fetchedAt < KEYS_TTL_MS;
    if (fresh && held.keys.some((key) => key.kid === kid)) return held.keys;
    if (this.fetching) return (await this.fetching).keys;
    if (now - this.triedAt < REFETCH_MS) {
      if (fresh) return held.keys;
      throw new Error(`not fetched again within ${REFETCH_MS / 1000} s of the last try`);
    }
    this.triedAt = now;
    this.fetching = fetchKeys(url, now).finally(() => {
      this.fetching = undefined;
    });
    this.current = await this.fetching;
    return this.current.keys;
  }
}

async function fetchKeys(url: string, now: number): Promise<KeySet> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const body = (await response.json()) as { keys?: unknown };
  if (!Array.isArray(body.keys)) throw new Error(`${url} sent no "keys"`);
  return { url, keys: body.keys as Jwk[], fetchedAt: now };
}

/** The `kid` of a JWT's header, or undefined when the text is not a JWT with one. */
function keyIdOf(token: string): string | undefined {
  try {
    const { kid } = decode(token).header as { kid?: unknown };
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
