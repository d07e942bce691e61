import { describe, expect, it } from 'vitest';
import { adaptResponseHeaders, dropHopByHop, upstreamRequestHeaders } from '../../src/worker/headers';

const edge = {
  clientIp: '203.0.113.9',
  url: new URL('https://cobrowse.example.com/cobrowse/x'),
  requestId: 'req-1',
  webSocket: false,
};

describe('dropHopByHop', () => {
  it.each([
    [{ connection: 'keep-alive', 'keep-alive': 'timeout=5', a: '1' }, { a: '1' }],
    [{ connection: 'close, X-Secret', 'x-secret': 's', a: '1' }, { a: '1' }],
    [{ te: 'trailers', trailer: 'x', 'transfer-encoding': 'chunked', a: '1' }, { a: '1' }],
    [{ 'proxy-authorization': 'Basic x', 'proxy-connection': 'keep-alive', a: '1' }, { a: '1' }],
    [{ upgrade: 'h2c', connection: 'Upgrade', a: '1' }, { a: '1' }],
    [{ connection: '(, x-b, ""', 'x-b': '2', a: '1' }, { a: '1' }],
  ])('%j becomes %j', (input, expected) => {
    const headers = new Headers(input);
    dropHopByHop(headers);
    expect(Object.fromEntries(headers)).toEqual(expected);
  });
});

describe('upstreamRequestHeaders', () => {
  it('replaces client-asserted forwarding fields with what the edge saw', () => {
    const headers = upstreamRequestHeaders(
      new Headers({
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.example.com',
        'x-forwarded-proto': 'gopher',
        forwarded: 'for=6.6.6.6',
        'x-real-ip': '6.6.6.6',
        'x-request-id': 'forged',
        host: 'cobrowse.example.com',
        cookie: 'gcbSessionServer=.CB_Server_1',
      }),
      edge,
    );
    expect(Object.fromEntries(headers)).toEqual({
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'cobrowse.example.com',
      'x-forwarded-proto': 'https',
      'x-request-id': 'req-1',
      cookie: 'gcbSessionServer=.CB_Server_1',
    });
  });

  it("sends the node no X-Request-Id, not even the client's, when the node is not to get the id", () => {
    const headers = upstreamRequestHeaders(
      new Headers({ 'x-request-id': 'forged', X_Request_Id: 'forged too', cookie: 'a=1' }),
      { ...edge, requestId: undefined },
    );
    expect([...headers.keys()].filter((name) => name.replaceAll('_', '-') === 'x-request-id')).toEqual([]);
    expect(headers.get('cookie')).toBe('a=1');
  });

  it("forwards no client's X-Forwarded-For when the edge does not know the client address", () => {
    expect(
      upstreamRequestHeaders(new Headers({ 'x-forwarded-for': '6.6.6.6' }), {
        ...edge,
        clientIp: undefined,
      }).has('x-forwarded-for'),
    ).toBe(false);
  });

  it('keeps exactly the Upgrade and Connection a WebSocket handshake needs', () => {
    const headers = upstreamRequestHeaders(
      new Headers({
        upgrade: 'WebSocket',
        connection: 'keep-alive, Upgrade, X-Drop',
        'x-drop': '1',
        'sec-websocket-key': 'k',
      }),
      { ...edge, webSocket: true },
    );
    expect(headers.get('upgrade')).toBe('websocket');
    expect(headers.get('connection')).toBe('Upgrade');
    expect(headers.get('sec-websocket-key')).toBe('k');
    expect(headers.has('x-drop')).toBe(false);
  });

  it('forwards no Upgrade for anything but a WebSocket', () => {
    const headers = upstreamRequestHeaders(new Headers({ upgrade: 'h2c', connection: 'Upgrade' }), edge);
    expect(headers.has('upgrade') || headers.has('connection')).toBe(false);
  });
});

describe('adaptResponseHeaders', () => {
  const node = 'http://cb1.internal:8700';
  /** The client's headers for a node's `upstream` headers. */
  const downstream = (upstream: Headers) => {
    const headers = new Headers(upstream);
    adaptResponseHeaders(headers, node, edge.url.origin);
    return headers;
  };

  it('passes every Set-Cookie unchanged and drops hop-by-hop fields', () => {
    const upstream = new Headers({
      'content-length': '2',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
    });
    upstream.append('set-cookie', 'gcbSessionServer=.CB_Server_1; Path=/; HttpOnly');
    upstream.append('set-cookie', 'b=2, with comma; Secure');
    const headers = downstream(upstream);
    expect(headers.getSetCookie()).toEqual([
      'gcbSessionServer=.CB_Server_1; Path=/; HttpOnly',
      'b=2, with comma; Secure',
    ]);
    expect(headers.has('connection') || headers.has('keep-alive')).toBe(false);
  });

  it.each([
    ['http://cb1.internal:8700/cobrowse/next?a=1#f', 'https://cobrowse.example.com/cobrowse/next?a=1#f'],
    ['/cobrowse/relative', '/cobrowse/relative'],
    ['https://elsewhere.example.com/x', 'https://elsewhere.example.com/x'],
    ['http://cb1.internal:8701/other-port', 'http://cb1.internal:8701/other-port'],
  ])('Location %s reaches the client as %s', (location, expected) => {
    const headers = downstream(new Headers({ location, 'content-length': '0' }));
    expect(headers.get('location')).toBe(expected);
  });

  it.each([
    [{}, 'identity'],
    [{ 'content-length': '10' }, null],
    [{ 'content-encoding': 'gzip' }, 'gzip'],
  ])('a body with %j gets Content-Encoding %s', (upstream, expected) => {
    expect(downstream(new Headers(upstream)).get('content-encoding')).toBe(expected);
  });
});
