/**
 * Cloudflare Access in front of the admin plane (issue 31, finding 1): every admin request must carry
 * Access's signed assertion for the application, checked against the team's keys. A local server
 * stands in for the team's key endpoint (`<team domain>/cdn-cgi/access/certs`) and signs assertions
 * with keys of its own, as Access does (RS256, a `kid` per key).
 */
import { createSign, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOrigin, TEST_ADMIN_HOST, useCluster } from './support/cluster';

const ADMIN_TOKEN = 'access-admin-token-0123456789abcdef01234';
const AUD = randomBytes(32).toString('hex');

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

function signingKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    privateKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An assertion as Access makes one: RS256 over header.payload, with the key's id. */
function assertion(key: SigningKey, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', kid: key.kid, typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({ iat: now, nbf: now, exp: now + 600, email: 'ops@example.com', ...claims }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key.privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

const teamKey = signingKey('team-key-1');
const strangerKey = signingKey('team-key-1');
let keyServer: Server;
let issuer = '';
let keyFetches = 0;

beforeAll(async () => {
  keyServer = createServer((req, res) => {
    if (req.url !== '/cdn-cgi/access/certs') return res.writeHead(404).end();
    keyFetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [teamKey.publicJwk] }));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(keyServer.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => keyServer.close(() => resolve())));

describe('with ACCESS_TEAM_DOMAIN and ACCESS_AUD set', () => {
  const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], {
    ADMIN_TOKEN,
    ADMIN_HOST: TEST_ADMIN_HOST,
    // Read when the router starts, after the key server above is listening.
    get ACCESS_TEAM_DOMAIN() {
      return issuer;
    },
    ACCESS_AUD: AUD,
  });
  const admin = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(`${adminOrigin(cluster.router)}/__lb${path}`, {
      redirect: 'manual',
      ...init,
      headers,
    });
  const valid = () => assertion(teamKey, { iss: issuer, aud: [AUD] });

  it('refuses every admin request without a valid assertion, the admin token included', async () => {
    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const now = Math.floor(Date.now() / 1000);
    const refused = {
      none: bearer,
      garbage: { ...bearer, 'cf-access-jwt-assertion': 'not-a-jwt' },
      stranger: { ...bearer, 'cf-access-jwt-assertion': assertion(strangerKey, { iss: issuer, aud: [AUD] }) },
      otherAudience: {
        ...bearer,
        'cf-access-jwt-assertion': assertion(teamKey, { iss: issuer, aud: ['b'.repeat(64)] }),
      },
      otherIssuer: {
        ...bearer,
        'cf-access-jwt-assertion': assertion(teamKey, {
          iss: 'https://evil.cloudflareaccess.com',
          aud: [AUD],
        }),
      },
      expired: {
        ...bearer,
        'cf-access-jwt-assertion': assertion(teamKey, { iss: issuer, aud: [AUD], exp: now - 5 }),
      },
      noExpiry: {
        ...bearer,
        'cf-access-jwt-assertion': assertion(teamKey, { iss: issuer, aud: [AUD], exp: undefined }),
      },
    };
    for (const [what, headers] of Object.entries(refused)) {
      const res = await admin('/status', headers);
      expect({ what, status: res.status }).toEqual({ what, status: 403 });
      expect(((await res.json()) as { error: string }).error).toBe('access_required');
    }
    // Liveness stays open.
    expect((await admin('/health')).status).toBe(200);
  });

  it('takes a valid assertion as the browser’s login: the page reads, and acts from itself with its form token', async () => {
    const access = { 'cf-access-jwt-assertion': valid() };
    expect((await admin('/status', access)).status).toBe(200);
    const page = await (await admin('/', access)).text();
    const token = /name="form-token" value="([0-9a-f]{64})"/.exec(page)?.[1] as string;
    expect(token).toBeDefined();
    const form = {
      ...access,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/x-www-form-urlencoded',
    };
    const blind = await admin('/nodes/CB_Server_2/drain', form, { method: 'POST', body: 'action=drain' });
    expect(blind.status).toBe(403);
    const drained = await admin('/nodes/CB_Server_2/drain', form, {
      method: 'POST',
      body: `form-token=${token}`,
    });
    expect(drained.status).toBe(303);
    const enabled = await admin(
      '/nodes/CB_Server_2/enable',
      { ...access, authorization: `Bearer ${ADMIN_TOKEN}` },
      { method: 'POST' },
    );
    expect(enabled.status).toBe(200);
  });

  it('fetches the team’s keys once, not once per forged key id', async () => {
    const before = keyFetches;
    for (let i = 0; i < 30; i++) {
      const forged = assertion({ ...strangerKey, kid: `made-up-${i}` }, { iss: issuer, aud: [AUD] });
      expect((await admin('/status', { 'cf-access-jwt-assertion': forged })).status).toBe(403);
    }
    expect(keyFetches - before).toBeLessThanOrEqual(1);
  });
});
