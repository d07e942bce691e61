/**
 * A Co-browse-like node: enough of a real node's behaviour to run and test the router against.
 *
 *   node scripts/demo-node.mjs --id CB_Server_1 --port 8701 [--exit-with-stdin]
 *
 * Prints one JSON line `{"ready":true,"id":...,"port":...}` once listening (port 0 picks a free one).
 * Like a Co-browse node it sets `gcbSessionServer=.<id>` when it creates a session, and answers a
 * request for a session it does not own with 410 and `reason: "not-owner"`, which is how the clients
 * learn that their session has ended.
 *
 * Endpoints, all under /cobrowse:
 *   GET  /health                  200 {status:"ok"}
 *   GET  /                        a small demo page
 *   POST /session                 new session, sets the stickiness cookie
 *   GET  /session/:sid            the session, or the not-owner answer
 *   GET  /poll?session&wait=ms    long-poll: answers after `wait` ms (default 2000)
 *   GET  /stream?chunks&interval  chunked stream, one line per chunk
 *   POST /dom                     consumes the body, answers its size and sha256
 *   GET  /blob?bytes              a body of that many bytes, sha256 in `x-sha256`
 *   GET  /bulk?bytes&after=ms     a large body (default 50 MiB) sent as fast as its reader takes it,
 *                                 headers after `after` ms (default 0): a slow reader's download
 *   ANY  /echo                    the request as the node saw it
 *   GET  /redirect?to             302 to `to` on this node's own origin
 *   GET  /cookies                 several Set-Cookie fields
 *   GET  /headers?name=value      answers with these response headers
 *   GET  /status/:code            answers with that status
 *   ANY  /hang                    never answers
 *   ANY  /reset                   drops the connection without an answer (the node stays up)
 *   POST /control?status          from now on the health check answers `status` (the node still serves)
 *   GET  /control                 every request path this node has received, and the bytes of body
 *                                 each request carried however it ended (`received`), for tests
 *   WS   /ws?session&header=n:v   echoes messages (`header`, repeatable: a field its 101 carries);
 *                                 `close <code> <reason>` makes the node close;
 *                                 `send <bytes>` makes it send a binary message of that size;
 *                                 `stall` makes it stop reading that socket (a hung or overloaded node)
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    port: { type: 'string', default: '0' },
    cookie: { type: 'string' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
const id = values.id ?? 'CB_Server_1';
const cookieName = values.cookie ?? 'gcbSessionServer';
/** Sessions this node owns: created here, unknown to every other node. */
const sessions = new Set();
/** Status of the health check; a test sets it to 503 to fake a node that reports itself unhealthy. */
let healthStatus = 200;
/** The last 10,000 paths this node was asked for: a test checks none is outside the proxied prefix. */
const seenPaths = [];
/** Body bytes of every request, counted as they arrive, whether the body ended or was cut. */
const received = [];
/**
 * Long-polls, streams and bulk bodies open now: one that stays after its client left is what tests
 * look for.
 */
const open = { polls: 0, streams: 0, bulk: 0 };
/** Counts a held request in `open[kind]` until its answer went out or its connection closed. */
const hold = (res, kind) => {
  open[kind]++;
  res.on('close', () => open[kind]--);
};

/**
 * A JSON answer with its length, as Co-browse's Jetty sends its small answers; chunked when a test
 * asked for a Trailer header, which Node only sends with chunked encoding.
 */
const json = (res, status, body, headers = {}) => {
  const text = JSON.stringify({ node: id, ...body });
  const length = res.hasHeader('trailer') ? {} : { 'content-length': Buffer.byteLength(text) };
  res.writeHead(status, { 'content-type': 'application/json', ...length, 'x-demo-node': id, ...headers });
  res.end(text);
};
const notOwner = (res, session) =>
  json(res, 410, { session, state: 'terminated', reason: 'not-owner', advice: 'start a new session' });

const routes = {
  'GET /health': (_req, res) =>
    json(res, healthStatus, { status: healthStatus === 200 ? 'ok' : 'unhealthy' }),
  'GET /control': (_req, res) => json(res, 200, { healthStatus, seenPaths, received, open }),
  'POST /control': (_req, res, url) => {
    healthStatus = Number(url.searchParams.get('status') ?? 200);
    json(res, 200, { healthStatus });
  },
  'GET /': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-demo-node': id });
    res.end(demoPage());
  },
  'POST /session': (_req, res) => {
    const session = `${id}-${Math.random().toString(36).slice(2, 10)}`;
    sessions.add(session);
    json(res, 201, { session }, { 'set-cookie': `${cookieName}=.${id}; Path=/; HttpOnly; SameSite=Lax` });
  },
  'GET /session': (_req, res, url) => {
    const session = url.pathname.split('/')[3];
    if (!sessions.has(session)) return notOwner(res, session);
    json(res, 200, { session, state: 'active' });
  },
  'GET /poll': (req, res, url) => {
    const session = url.searchParams.get('session');
    if (session && !sessions.has(session)) return notOwner(res, session);
    const wait = Math.min(Number(url.searchParams.get('wait') ?? 2000), 60_000);
    hold(res, 'polls');
    const timer = setTimeout(
      () => json(res, 200, { session, events: [{ type: 'tick', at: Date.now() }] }),
      wait,
    );
    req.on('close', () => clearTimeout(timer));
  },
  'GET /stream': (req, res, url) => {
    const chunks = Number(url.searchParams.get('chunks') ?? 5);
    const interval = Number(url.searchParams.get('interval') ?? 200);
    hold(res, 'streams');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-demo-node': id });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(`chunk ${++sent} of ${chunks} from ${id} at ${Date.now()}\n`);
      if (sent === chunks) {
        clearInterval(timer);
        res.end();
      }
    }, interval);
    req.on('close', () => clearInterval(timer));
  },
  'POST /dom': (req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => json(res, 200, { bytes, sha256: hash.digest('hex') }));
  },
  'GET /blob': (_req, res, url) => {
    const body = patternBytes(Number(url.searchParams.get('bytes') ?? 1024));
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      'x-sha256': createHash('sha256').update(body).digest('hex'),
      'x-demo-node': id,
    });
    res.end(body);
  },
  'GET /bulk': bulk,
  'GET /redirect': (req, res, url) => {
    const location = `http://${req.headers.host}${url.searchParams.get('to') ?? '/cobrowse/'}`;
    res.writeHead(302, { location, 'x-demo-node': id });
    res.end();
  },
  'GET /cookies': (_req, res) => {
    res.setHeader('set-cookie', [
      `${cookieName}=.${id}; Path=/; HttpOnly`,
      'first=1; Path=/; Max-Age=60',
      'second=2, with comma; Path=/cobrowse; Secure',
    ]);
    json(res, 200, {});
  },
  'GET /headers': (_req, res, url) => {
    for (const [name, value] of url.searchParams) res.setHeader(name, value);
    json(res, 200, {});
  },
  'GET /status': (_req, res, url) => json(res, Number(url.pathname.split('/')[3]), {}),
  'GET /hang': () => {},
  'POST /hang': () => {},
  'GET /reset': (req) => req.socket.destroy(),
  'POST /reset': (req) => req.socket.destroy(),
};

const server = createServer((req, res) => {
  seenPaths.push(req.url ?? '');
  if (seenPaths.length > 10_000) seenPaths.shift();
  dispatch(req, res);
  // Only requests that carry a body are counted: reading a bodyless request to its end makes Node
  // emit its 'close', which the long-poll and stream handlers read as the client going away.
  if (!req.headers['transfer-encoding'] && !Number(req.headers['content-length'])) return;
  const body = { path: req.url ?? '', bytes: 0, complete: false };
  received.push(body);
  if (received.length > 10_000) received.shift();
  req.on('data', (chunk) => {
    body.bytes += chunk.length;
  });
  req.on('end', () => {
    body.complete = true;
  });
});

function dispatch(req, res) {
  const url = new URL(req.url ?? '/', 'http://node');
  if (url.pathname.startsWith('/cobrowse/echo')) return echo(req, res, url);
  const section = url.pathname.replace(/^\/cobrowse/, '').split('/')[1] ?? '';
  const handler = routes[`${req.method} /${section}`];
  if (!handler) return json(res, 404, { error: 'not found', path: url.pathname });
  handler(req, res, url);
}

function echo(req, res, url) {
  let bytes = 0;
  req.on('data', (chunk) => {
    bytes += chunk.length;
  });
  req.on('end', () =>
    json(res, 200, {
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: req.headers,
      bytes,
    }),
  );
}

const sockets = new WebSocketServer({ server, path: '/cobrowse/ws' });
// `?header=name:value`: a field the node adds to its 101 (as /headers does to an HTTP answer).
sockets.on('headers', (fields, req) => {
  for (const field of new URL(req.url ?? '/', 'http://node').searchParams.getAll('header'))
    fields.push(field);
});
sockets.on('connection', (socket, req) => {
  const session = new URL(req.url ?? '/', 'http://node').searchParams.get('session');
  if (session && !sessions.has(session)) {
    socket.send(JSON.stringify({ node: id, session, state: 'terminated', reason: 'not-owner' }));
    socket.close(4410, 'session not owned by this node');
    return;
  }
  socket.send(JSON.stringify({ node: id, session, state: 'connected' }));
  socket.on('message', (data, isBinary) => {
    const text = data.toString();
    const close = /^close (\d{4}) ?(.*)$/.exec(text);
    if (close) return socket.close(Number(close[1]), close[2]);
    const send = /^send (\d+)$/.exec(text);
    if (send) return socket.send(patternBytes(Number(send[1])), { binary: true });
    // Stops reading: TCP flow control then pushes back on whoever sends to this socket.
    if (text === 'stall') return req.socket.pause();
    socket.send(isBinary ? data : JSON.stringify({ node: id, echo: text }), { binary: isBinary });
  });
});

/** One chunk of the pattern, shared by every bulk body: a 50 MiB body allocates nothing of its own. */
const BULK_CHUNK = patternBytes(65_536);

/**
 * `GET /bulk`: `bytes` of the pattern (with its Content-Length), written only as fast as the reader
 * takes them (backpressure), so a client that never reads holds the body open for as long as it
 * stays; counted in `open.bulk` until it ended or its connection closed. The headers go out after
 * `after` ms: a request that first waits on the node, then streams.
 */
function bulk(req, res, url) {
  const bytes = Number(url.searchParams.get('bytes') ?? 50 * 2 ** 20);
  const after = Number(url.searchParams.get('after') ?? 0);
  hold(res, 'bulk');
  let left = bytes;
  const send = () => {
    while (left > 0) {
      const chunk = left >= BULK_CHUNK.length ? BULK_CHUNK : BULK_CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) return void res.once('drain', send);
    }
    res.end();
  };
  const timer = setTimeout(() => {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': bytes,
      'x-demo-node': id,
    });
    send();
  }, after);
  req.on('close', () => clearTimeout(timer));
}

/** Deterministic bytes, so a receiver can check a large body by its hash. */
function patternBytes(size) {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31 + (i >> 8)) & 0xff;
  return body;
}

/**
 * The demo page behaves like a Co-browse client: its WebSocket reconnects when dropped and its
 * long-poll loops, both until a node says the session ended (`not-owner`).
 */
function demoPage() {
  return `<!doctype html><meta name="viewport" content="width=device-width">
<title>Co-browse demo node ${id}</title>
<h1>Page served by ${id}</h1>
<p>Start a session: its node sets <code>${cookieName}=.&lt;node&gt;</code>, and the router sends all of the
session's traffic there. Kill that node and both channels are told the session ended.</p>
<button id="start">Start session</button> <button id="ws">Open WebSocket</button> <button id="poll">Long-poll</button>
<pre id="out"></pre>
<script>
const out = (line) => (document.getElementById('out').textContent += line + '\\n');
let session = null;
let ended = false;
document.getElementById('start').onclick = async () => {
  const res = await fetch('/cobrowse/session', { method: 'POST' });
  const body = await res.json(); session = body.session;
  out('session ' + session + ' on ' + body.node);
};
function openSocket() {
  const ws = new WebSocket(location.origin.replace('http', 'ws') + '/cobrowse/ws?session=' + (session ?? ''));
  ws.onmessage = (e) => { out('ws: ' + e.data); if (e.data.includes('not-owner')) ended = true; };
  ws.onclose = (e) => { out('ws closed ' + e.code); if (!ended) setTimeout(openSocket, 300); };
}
document.getElementById('ws').onclick = openSocket;
document.getElementById('poll').onclick = async () => {
  while (!ended) {
    try {
      const res = await fetch('/cobrowse/poll?wait=1000&session=' + (session ?? ''));
      const text = await res.text();
      out('poll ' + res.status + ' ' + text);
      if (res.status === 410) ended = true;
    } catch (error) {
      out('poll failed ' + error);
    }
    if (!ended) await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
</script>`;
}

server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(JSON.stringify({ ready: true, id, port: server.address().port }));
});
process.on('SIGTERM', () => process.exit(0));
// A parent that spawns this node holds its stdin open: when the parent dies, so does the node.
if (values['exit-with-stdin']) process.stdin.on('end', () => process.exit(0)).resume();
