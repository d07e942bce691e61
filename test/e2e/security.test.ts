/**
 * The edge as the security boundary, tried from the attacker's side with real requests against the
 * Worker and real nodes, judged by what the node received (the demo node's own record of it).
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useCluster } from './support/cluster';
import { httpGet, sendRaw } from './support/raw-client';
import { sleep } from './support/traffic';

const ADMIN_TOKEN = 'security-test-token-0123456789abcdef01';
const cluster = useCluster(['CB_Server_1'], {
  ADMIN_TOKEN,
  ALLOWED_ORIGINS: ['https://www.example.com'],
  MAX_BODY_BYTES: 1000,
});
const port = () => Number(new URL(cluster.router.url).port);

interface Echo {
  headers: Record<string, string>;
}
/** What the node received, as the node recorded it. */
async function received(): Promise<{
  seenPaths: string[];
  received: { path: string; bytes: number; complete: boolean }[];
}> {
  const res = await fetch(`${cluster.node('CB_Server_1').url}/cobrowse/control`);
  return res.json() as never;
}

describe('credentials', () => {
  it('no form of Authorization reaches a node: the admin token never leaves the router', async () => {
    for (const authorization of [
      `Bearer ${ADMIN_TOKEN}`,
      `Basic ${btoa(`ops:${ADMIN_TOKEN}`)}`,
      `basic ${btoa(`ops:${ADMIN_TOKEN}`)}`,
      'Digest username="ops"',
    ]) {
      const res = await httpGet(`${cluster.router.url}/cobrowse/echo`, { authorization });
      const echo = JSON.parse(res.body) as Echo;
      expect(echo.headers.authorization).toBeUndefined();
    }
    // The header name a CGI-style server reads as Authorization, too.
    const raw = await httpGet(`${cluster.router.url}/cobrowse/echo`, {
      Authorization_: 'x',
      authorization: 'Bearer y',
    });
    expect((JSON.parse(raw.body) as Echo).headers.authorization).toBeUndefined();
  });
});

describe('forwarding headers', () => {
  it('every forwarding and client-identity field a Jetty node trusts is the router’s, never the client’s', async () => {
    const claims: Record<string, string> = {
      'X-Forwarded-Port': '8443',
      'X-Forwarded-Server': 'evil.example.com',
      'X-Forwarded-Ssl': 'on',
      'X-Forwarded-Prefix': '/admin',
      // Not `https`: the local runtime's entry (raw Miniflare, standing in for the edge's TLS) takes the
      // request URL's scheme from a client's X-Forwarded-Proto of http or https, so the Worker would
      // see https and rightly say so; deployed, the edge's own scheme decides.
      'X-Forwarded-Proto': 'gopher',
      'X-Forwarded-Host': 'evil.example.com',
      'X-Forwarded-For': '6.6.6.6',
      'X-Proxied-Https': 'on',
      'Proxy-ssl-id': 'abc',
      'Proxy-auth-cert': 'cert',
      'True-Client-IP': '6.6.6.6',
      'X-Client-IP': '6.6.6.6',
      'X-Original-URL': '/admin',
      'X-Rewrite-URL': '/admin',
      'X-Real-IP': '6.6.6.6',
      Forwarded: 'for=6.6.6.6;proto=https',
      X_Forwarded_Host: 'evil.example.com',
      'X-HTTP-Method-Override': 'DELETE',
    };
    const res = await httpGet(`${cluster.router.url}/cobrowse/echo`, claims);
    const { headers } = JSON.parse(res.body) as Echo;
    const reachedNode = Object.keys(headers).filter((name) => {
      const read = name.replaceAll('_', '-');
      return Object.keys(claims).some((claim) => claim.toLowerCase().replaceAll('_', '-') === read);
    });
    expect(reachedNode.sort()).toEqual(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-host']).toBe(new URL(cluster.router.url).host);
    expect(headers['x-forwarded-proto']).toBe('http');
  });
});

describe('methods', () => {
  it('only the methods Co-browse uses reach a node: TRACE and PROPFIND get 405', async () => {
    for (const method of ['TRACE', 'PROPFIND', 'PATCH', 'MKCOL']) {
      const answer = await sendRaw(
        port(),
        `${method} /cobrowse/echo-${method} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: secret=1\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.status).toBe(405);
      expect(answer.head.toLowerCase()).toContain('allow: get, head, post, put, delete, options');
    }
    // CONNECT never reaches the Worker locally (wrangler's dev proxy answers it); nor any node.
    await sendRaw(port(), 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n', 1000);
    expect((await received()).seenPaths.filter((path) => path.startsWith('/cobrowse/echo-'))).toEqual([]);
    const res = await fetch(`${cluster.router.url}/cobrowse/echo`, { method: 'TRACE' }).catch(
      () => undefined,
    );
    if (res) expect(res.status).toBe(405);
  });
});

describe('CometD over JSONP (callback-polling) with ALLOWED_ORIGINS set', () => {
  it('refuses a request naming a JSONP callback, however it is spelled, and a cross-site script load', async () => {
    for (const query of ['?message=%5B%5D&jsonp=cb', '?jsonp=cb', '?x=1&%6Asonp=cb']) {
      const res = await fetch(`${cluster.router.url}/cobrowse/cometd-jsonp${query}`);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: 'script_load_refused' });
    }
    const script = await fetch(`${cluster.router.url}/cobrowse/cometd-jsonp`, {
      headers: { 'sec-fetch-dest': 'script', 'sec-fetch-site': 'cross-site' },
    });
    expect(script.status).toBe(403);
    // The page's own scripts load as before.
    const own = await fetch(`${cluster.router.url}/cobrowse/echo`, {
      headers: { 'sec-fetch-dest': 'script', 'sec-fetch-site': 'same-origin' },
    });
    expect(own.status).toBe(200);
    expect((await received()).seenPaths.filter((path) => path.startsWith('/cobrowse/cometd-jsonp'))).toEqual(
      [],
    );
  });
});

/** A chunked POST of `total` bytes in 500-byte chunks; `cutAfter` bytes then the connection is dropped. */
function chunkedPost(path: string, total: number, cutAfter?: number): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(port(), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]) || null));
    socket.on('connect', async () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: gcbSessionServer=.CB_Server_1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      );
      for (let sent = 0; sent < total; sent += 500) {
        if (cutAfter !== undefined && sent >= cutAfter) {
          await sleep(300);
          socket.destroy();
          return;
        }
        socket.write(`1f4\r\n${'x'.repeat(500)}\r\n`);
        await sleep(20);
      }
      socket.write('0\r\n\r\n');
    });
  });
}

describe('bodies', () => {
  it('MAX_BODY_BYTES counts a chunked body as it streams: 413, and the node never gets more than the limit', async () => {
    const status = await chunkedPost('/cobrowse/echo-chunked', 5000);
    expect(status).toBe(413);
    await sleep(300);
    const bodies = (await received()).received.filter((body) => body.path === '/cobrowse/echo-chunked');
    for (const body of bodies) {
      expect(body.bytes).toBeLessThanOrEqual(1000);
      expect(body.complete).toBe(false);
    }
  });

  it('a client that stops sending its body is not counted against the node', async () => {
    const statusOf = async () => {
      const res = await fetch(`${cluster.router.url}/__lb/status`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { nodes } = (await res.json()) as { nodes: { failures: number; up: boolean }[] };
      return nodes[0];
    };
    const before = cluster.router.logs.length;
    // 1,000 bytes sent (within MAX_BODY_BYTES), then the client goes.
    for (let i = 0; i < 5; i++) await chunkedPost('/cobrowse/echo-aborted', 1500, 1000);
    await sleep(500);
    expect(await statusOf()).toMatchObject({ failures: 0, up: true });
    const lines = cluster.router.logs.slice(before).filter((line) => line.path === '/cobrowse/echo-aborted');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ failure: 'client-stopped', status: 400 });
  });
});

describe('the admin surface', () => {
  it('every /__lb answer is unframable, uncached and not sniffed, errors included; /__lb itself only redirects', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const [path, headers, status] of [
      ['/__lb/', auth, 200],
      ['/__lb/status', auth, 200],
      ['/__lb/status', {}, 401],
      ['/__lb/nope', auth, 404],
      ['/__lb/health', {}, 200],
    ] as const) {
      const res = await fetch(`${cluster.router.url}${path}`, { headers });
      expect(res.status).toBe(status);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    // No challenge at /__lb: a browser would file its credentials for the whole host.
    const bare = await fetch(`${cluster.router.url}/__lb`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/__lb/');
    expect(bare.headers.get('www-authenticate')).toBeNull();
    // A new endpoint is protected unless declared public: an unknown path needs the token first.
    expect((await fetch(`${cluster.router.url}/__lb/anything`)).status).toBe(401);
  });
});
