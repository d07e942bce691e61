/**
 * The new-session limit (NEW_SESSION_LIMIT, the platform's Rate Limiting binding as wrangler.toml
 * configures it: 600 a minute per client address) and the handshake budget (HANDSHAKE_LIMIT, the
 * same), with real requests. Locally a client's own
 * CF-Connecting-IP header stands in for the address Cloudflare's front end would set.
 */
import { expect, it } from 'vitest';
import { openSocket } from './support/clients';
import { useCluster } from './support/cluster';
import { startInOneRateWindow } from './support/rate-window';

const LIMIT = 600;
const ADMIN_TOKEN = 'rate-limits-token-0123456789abcdef0123';
const cluster = useCluster(['CB_Server_1', 'CB_Server_2'], { ADMIN_TOKEN });
const TIMEOUT_MS = 90_000;
const from = (address: string) => ({ 'cf-connecting-ip': address });

it(
  'lets 600 new sessions a minute through from one address, then answers 429 before any node',
  async () => {
    await startInOneRateWindow(25_000);
    const statuses: number[] = [];
    for (let batch = 0; batch < (LIMIT + 10) / 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST', headers: from('192.0.2.10') }),
        ),
      );
      for (const res of answers) {
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    }
    expect(statuses.filter((status) => status === 201)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);
    const limited = await fetch(`${cluster.router.url}/cobrowse/session`, {
      method: 'POST',
      headers: from('192.0.2.10'),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ error: 'too_many_new_sessions' });
    const seen = await Promise.all(
      cluster.nodes.map(async (node) => {
        const res = await fetch(`${node.url}/cobrowse/control`);
        return ((await res.json()) as { seenPaths: string[] }).seenPaths.filter(
          (path) => path === '/cobrowse/session',
        );
      }),
    );
    expect(seen.flat()).toHaveLength(LIMIT);

    // The session it has goes on (its messages name it), and other addresses are not limited.
    const pinned = await fetch(`${cluster.router.url}/cobrowse/echo`, {
      method: 'POST',
      headers: { ...from('192.0.2.10'), cookie: 'gcbSessionServer=.CB_Server_1' },
      body: '[{"channel":"/meta/connect","clientId":"3bd8pq1"}]',
    });
    expect(pinned.status).toBe(200);
    const other = await fetch(`${cluster.router.url}/cobrowse/session`, {
      method: 'POST',
      headers: from('192.0.2.11'),
    });
    expect(other.status).toBe(201);
  },
  TIMEOUT_MS,
);

/** Sends `count` requests 10 at a time; their statuses. */
async function statusesOf(count: number, request: (i: number) => Promise<Response>): Promise<number[]> {
  const statuses: number[] = [];
  for (let batch = 0; batch < count / 10; batch++) {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => request(batch * 10 + i)));
    for (const res of answers) {
      statuses.push(res.status);
      await res.arrayBuffer();
    }
  }
  return statuses;
}

it(
  'counts session starts that carry a pin (node ids are public): 600 through, then 429',
  async () => {
    await startInOneRateWindow(25_000);
    // An attacker's flood, pinned by cookie and by URL in turn, as every visitor's cookie shows how.
    const statuses = await statusesOf(LIMIT + 50, (i) =>
      fetch(`${cluster.router.url}/cobrowse/session${i % 2 ? '?co-browse-node-id=CB_Server_2' : ''}`, {
        method: 'POST',
        headers: { ...from('192.0.2.20'), ...(i % 2 ? {} : { cookie: 'gcbSessionServer=.CB_Server_1' }) },
      }),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(50);
  },
  TIMEOUT_MS,
);

it(
  'counts WebSocket handshakes too: 600 unpinned a minute from one address, then 429',
  async () => {
    await startInOneRateWindow(25_000);
    const url = `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`;
    const statuses: string[] = [];
    for (let batch = 0; batch < (LIMIT + 20) / 10; batch++) {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () =>
          openSocket(url, from('192.0.2.30')).then(
            (socket) => {
              socket.socket.close();
              return 'open';
            },
            (error: Error) => error.message,
          ),
        ),
      );
      statuses.push(...outcomes);
    }
    expect(statuses.filter((status) => status === 'open')).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 'handshake answered 429')).toHaveLength(20);
  },
  TIMEOUT_MS,
);

it(
  'gives WebSocket handshakes a budget of their own: 600 pinned a minute from one address, then 429, while its POSTs pass',
  async () => {
    await startInOneRateWindow(25_000);
    const url = `${cluster.router.url.replace('http', 'ws')}/cobrowse/ws`;
    const pin = { cookie: 'gcbSessionServer=.CB_Server_2', ...from('192.0.2.40') };
    const statuses: string[] = [];
    for (let batch = 0; batch < (LIMIT + 20) / 10; batch++) {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () =>
          openSocket(url, pin).then(
            async (socket) => {
              socket.socket.close();
              await socket.closed;
              return 'open';
            },
            (error: Error) => error.message,
          ),
        ),
      );
      statuses.push(...outcomes);
    }
    expect(statuses.filter((status) => status === 'open')).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 'handshake answered 429')).toHaveLength(20);
    // A pinned handshake is not a session's request: the address's CometD POSTs go on.
    const post = await fetch(`${cluster.router.url}/cobrowse/connect`, {
      method: 'POST',
      headers: { ...pin, 'content-type': 'application/json' },
      body: '[{"channel":"/meta/connect","clientId":"abc"}]',
    });
    expect(post.status).not.toBe(429);
    await post.arrayBuffer();
  },
  TIMEOUT_MS,
);

it('never puts a new session on a draining node, whatever its pin says; its old sessions stay', async () => {
  await whileDrained('CB_Server_1', async () => {
    const pin = { ...from('192.0.2.40'), cookie: 'gcbSessionServer=.CB_Server_1' };
    for (let i = 0; i < 10; i++) {
      // A CometD handshake, by its body or by its URL: a new session.
      const res = await fetch(`${cluster.router.url}/cobrowse/session${i % 2 ? '/handshake' : ''}`, {
        method: 'POST',
        headers: pin,
        body: i % 2 ? '[{}]' : '[{"channel":"/meta/handshake","version":"1.0"}]',
      });
      expect(res.headers.get('x-cobrowse-node')).toBe('CB_Server_2');
    }
    // A message of a session the node has: still there (draining stops only new sessions).
    const old = await fetch(`${cluster.router.url}/cobrowse/echo`, {
      method: 'POST',
      headers: pin,
      body: '[{"channel":"/meta/connect","clientId":"3bd8pq1"}]',
    });
    expect(old.headers.get('x-cobrowse-node')).toBe('CB_Server_1');
  });
});

/** Runs `work` while `node` drains (an operator's drain through the admin API), then enables it again. */
async function whileDrained(node: string, work: () => Promise<void>): Promise<void> {
  const action = (name: string) =>
    fetch(`${cluster.router.url}/__lb/nodes/${node}/${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
  expect((await action('drain')).status).toBe(200);
  try {
    await work();
  } finally {
    await action('enable');
  }
}

/** Node's fetch sends a stream without a Content-Length: `Transfer-Encoding: chunked`. */
function chunked(text: string, chunkBytes = 16_384): RequestInit {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunkBytes));
      at += chunkBytes;
    },
  });
  return { body, duplex: 'half' } as RequestInit;
}

/** A session's own `/meta/connect`, padded in its `ext` to exactly `size` bytes. */
function ownMessageOf(size: number): string {
  const head = '[{"channel":"/meta/connect","clientId":"3bd8pq1","ext":{"pad":"';
  const tail = '"}}]';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}

const REPLAY_BODY_BYTES = 65_536;

it(
  'counts chunked CometD handshakes (no Content-Length) as new sessions: 600 through, then 429',
  async () => {
    await startInOneRateWindow(30_000);
    const address = from('192.0.2.50');
    const statuses = await statusesOf(LIMIT + 20, () =>
      fetch(`${cluster.router.url}/cobrowse/session`, {
        method: 'POST',
        headers: { ...address, 'content-type': 'application/json;charset=UTF-8' },
        ...chunked(
          '[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]',
        ),
      }),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);

    // A session's own messages, chunked, read whole up to REPLAY_BODY_BYTES: not new sessions.
    const pinned = {
      ...address,
      cookie: 'gcbSessionServer=.CB_Server_1',
      'content-type': 'application/json',
    };
    const atLimit = await fetch(`${cluster.router.url}/cobrowse/echo`, {
      method: 'POST',
      headers: pinned,
      ...chunked(ownMessageOf(REPLAY_BODY_BYTES)),
    });
    expect(atLimit.status).toBe(200);
    // The node got the bytes with their length: the body was read whole.
    expect(await atLimit.json()).toMatchObject({
      bytes: REPLAY_BODY_BYTES,
      headers: { 'content-length': String(REPLAY_BODY_BYTES) },
    });
    // One byte more cannot be read whole, so it cannot be told from a handshake: a new session.
    const overLimit = await fetch(`${cluster.router.url}/cobrowse/echo`, {
      method: 'POST',
      headers: pinned,
      ...chunked(ownMessageOf(REPLAY_BODY_BYTES + 1)),
    });
    expect(overLimit.status).toBe(429);
    expect(await overLimit.json()).toMatchObject({ error: 'too_many_new_sessions' });
  },
  TIMEOUT_MS,
);

it(
  'counts bodies that name a clientId yet start a session as new sessions: 600 through, then 429',
  async () => {
    await startInOneRateWindow(30_000);
    const address = from('192.0.2.51');
    const json = { ...address, 'content-type': 'application/json;charset=UTF-8' };
    // What an attacker sends so that "clientId" appears in the body: CometD still starts a session.
    const attacks: { body: string; headers: Record<string, string> }[] = [
      // "clientId" inside a string value.
      {
        body: '[{"channel":"/meta/handshake","version":"1.0","ext":{"note":"\\"clientId\\":\\"x\\""}}]',
        headers: json,
      },
      // A clientId on the handshake itself: CometD ignores it and makes a new session.
      { body: '{"channel":"/meta/handshake","version":"1.0","clientId":"3bd8pq1"}', headers: json },
      // A handshake batched with a session's message.
      {
        body: '[{"channel":"/meta/connect","clientId":"3bd8pq1"},{"channel":"/meta/handshake"}]',
        headers: json,
      },
      // Duplicate keys: the last channel is the one the node's JSON keeps.
      {
        body: '[{"channel":"/meta/connect","clientId":"3bd8pq1","channel":"/meta/handshake"}]',
        headers: json,
      },
      // An escaped channel name is the same channel.
      { body: '[{"channel":"\\/meta\\/handshake","clientId":"3bd8pq1"}]', headers: json },
      // Not JSON, or a form (CometD's synchronous transport reads its `message` parameters).
      {
        body: 'message=[{"channel":"/meta/handshake"}]&"clientId"',
        headers: { ...address, 'content-type': 'application/x-www-form-urlencoded' },
      },
      // Another charset, in which the node may read other messages than UTF-8 shows.
      {
        body: '[{"channel":"/meta/connect","clientId":"3bd8pq1"}]',
        headers: { ...address, 'content-type': 'application/json;charset=Shift_JIS' },
      },
    ];
    const statuses = await statusesOf(LIMIT + 20, (i) => {
      const attack = attacks[i % attacks.length] as (typeof attacks)[number];
      return fetch(`${cluster.router.url}/cobrowse/session`, { method: 'POST', ...attack });
    });
    expect(statuses.filter((status) => status === 201)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);

    // The address's sessions go on: their messages, with a length or chunked, are theirs.
    const pinned = { ...json, cookie: 'gcbSessionServer=.CB_Server_1' };
    const own =
      '[{"channel":"/meta/connect","clientId":"3bd8pq1"},{"channel":"/co-browse/x","clientId":"3bd8pq1"}]';
    for (const init of [{ body: own }, chunked(own)]) {
      const res = await fetch(`${cluster.router.url}/cobrowse/echo`, {
        method: 'POST',
        headers: pinned,
        ...init,
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  },
  TIMEOUT_MS,
);

it('routes a chunked handshake pinned to a draining node as a new session: elsewhere', async () => {
  await whileDrained('CB_Server_1', async () => {
    const pin = { ...from('192.0.2.52'), cookie: 'gcbSessionServer=.CB_Server_1' };
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${cluster.router.url}/cobrowse/session`, {
        method: 'POST',
        headers: pin,
        ...chunked('[{"channel":"/meta/handshake","version":"1.0"}]'),
      });
      expect(res.headers.get('x-cobrowse-node')).toBe('CB_Server_2');
      await res.arrayBuffer();
    }
  });
});
