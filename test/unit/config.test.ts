import { describe, expect, it } from 'vitest';
import { type ConfigResult, DEFAULTS, parseConfig } from '../../src/config/config';

const NODES = [
  { id: 'CB_Server_1', url: 'http://cb1.example.com:8700' },
  { id: 'CB_Server_2', url: 'https://cb2.example.com', weight: 3 },
];

function problemsOf(result: ConfigResult): readonly string[] {
  return result.ok ? [] : result.problems;
}

describe('parseConfig', () => {
  it('fills every default around a minimal roster', () => {
    const result = parseConfig({ NODES });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      stickyCookie: DEFAULTS.STICKY_COOKIE,
      stickyParam: DEFAULTS.STICKY_PARAM,
      pathPrefix: '/cobrowse',
      connectTimeoutMs: 45_000,
    });
    expect(result.config.health).toEqual({
      path: '/cobrowse/health',
      intervalMs: 2000,
      timeoutMs: 1000,
      rise: 2,
      fall: 2,
      expect: [[200, 299]],
      onMarkedDown: 'shutdown-sessions',
    });
    expect(result.config.replayBodyBytes).toBe(65_536);
    expect(result.config.maxHeaderBytes).toBe(8192);
    expect(result.config.maxBodyBytes).toBe(0);
    expect(result.config.requestIdToNodes).toBe(false);
    expect(result.config.nodes).toEqual([
      {
        id: 'CB_Server_1',
        origin: 'http://cb1.example.com:8700',
        weight: 1,
        via: undefined,
        fetcher: globalThis,
      },
      {
        id: 'CB_Server_2',
        origin: 'https://cb2.example.com',
        weight: 3,
        via: undefined,
        fetcher: globalThis,
      },
    ]);
    expect(result.config.nodesById.get('CB_Server_2')?.weight).toBe(3);
    expect(result.warnings).toEqual([expect.stringMatching(/^ALLOWED_ORIGINS: not set/)]);
  });

  it('reads ALLOWED_ORIGINS as origins, and warns when it is unset', () => {
    const set = parseConfig({
      NODES,
      ALLOWED_ORIGINS: '["https://www.example.com","http://localhost:8080"]',
    });
    expect(set.ok && [...(set.config.allowedOrigins ?? [])]).toEqual([
      'https://www.example.com',
      'http://localhost:8080',
    ]);
    expect(set.warnings).toEqual([]);
    const unset = parseConfig({ NODES });
    expect(unset.ok && unset.config.allowedOrigins).toBeUndefined();
    expect(unset.warnings).toEqual([expect.stringMatching(/^ALLOWED_ORIGINS: not set/)]);
  });

  it('accepts every var as JSON text, as `wrangler dev --var` passes it', () => {
    const result = parseConfig({
      NODES: JSON.stringify(NODES),
      CONNECT_TIMEOUT_MS: '3000',
      STICKY_COOKIE: 'route',
      STICKY_PARAM: 'node',
      PATH_PREFIX: '/cb',
      REQUEST_ID_TO_NODES: 'true',
    });
    expect(result.ok && result.config).toMatchObject({
      connectTimeoutMs: 3000,
      stickyCookie: 'route',
      stickyParam: 'node',
      pathPrefix: '/cb',
      requestIdToNodes: true,
    });
  });

  it.each([
    [{}, ['NODES: required: an array of { id, url, weight?, via?, maxSessions? }']],
    [{ NODES: '[{' }, [expect.stringMatching(/^NODES: not valid JSON/)]],
    [{ NODES: [] }, ['NODES: must be a non-empty array of { id, url, weight?, via?, maxSessions? }']],
    [{ NODES: {} }, ['NODES: must be a non-empty array of { id, url, weight?, via?, maxSessions? }']],
    [{ NODES: ['x'] }, ['NODES[0]: must be an object { id, url, weight?, via?, maxSessions? }']],
    [
      { NODES: [{ id: 'a b', url: 'http://a' }] },
      ["NODES[0].id: must be 1-64 characters of A-Z a-z 0-9 _ . ~ - (the node's route name)"],
    ],
    [{ NODES: [{ id: 'a', url: 'ftp://a' }] }, ['NODES[0].url: must be an absolute http:// or https:// URL']],
    [
      { NODES: [{ id: 'a', url: '/relative' }] },
      ['NODES[0].url: must be an absolute http:// or https:// URL'],
    ],
    [
      { NODES: [{ id: 'a', url: 'http://u:p@a/path?q#f' }] },
      ['NODES[0].url: must be scheme, host and port only (found credentials, a path, a query, a fragment)'],
    ],
    [
      { NODES: [{ id: 'a', url: 'http://a', weight: 1.5 }] },
      ['NODES[0].weight: must be an integer from 0 to 1000'],
    ],
    [{ NODES: [{ id: 'a', url: 'http://a', wieght: 2 }] }, ['NODES[0].wieght: unknown field']],
    [
      { NODES: [{ id: 'a', url: 'http://a', weight: 0 }] },
      ['NODES: at least one node needs a weight above 0 to take new sessions'],
    ],
    [
      {
        NODES: [
          { id: 'a', url: 'http://a' },
          { id: 'a', url: 'http://b' },
        ],
      },
      ['NODES[1].id: duplicate id "a"'],
    ],
    [
      {
        NODES: [
          { id: '__proto__', url: 'http://a' },
          { id: 'constructor', url: 'http://b' },
        ],
      },
      [
        'NODES[0].id: "__proto__" is reserved (a name every JavaScript object has)',
        'NODES[1].id: "constructor" is reserved (a name every JavaScript object has)',
      ],
    ],
    [
      { NODES, CONNECT_TIMEOUT_MS: 'soon' },
      ['CONNECT_TIMEOUT_MS: must be an integer from 100 to 600000 (got "soon")'],
    ],
    [
      { NODES, CONNECT_TIMEOUT_MS: 50 },
      ['CONNECT_TIMEOUT_MS: must be an integer from 100 to 600000 (got 50)'],
    ],
    [{ NODES, STICKY_COOKIE: 'a;b' }, ['STICKY_COOKIE: must be a cookie name (got "a;b")']],
    [{ NODES, ON_MARKED_DOWN: 'keep' }, ['ON_MARKED_DOWN: must be shutdown-sessions or drain (got "keep")']],
    [{ NODES, REPLAY_BODY_BYTES: -1 }, ['REPLAY_BODY_BYTES: must be an integer from 0 to 1048576 (got -1)']],
    [
      { NODES, PATH_PREFIX: 'cobrowse/' },
      ['PATH_PREFIX: must be a path like /cobrowse (no trailing slash) (got "cobrowse/")'],
    ],
    [
      { NODES, HEALTH_PATH: 'health' },
      ['HEALTH_PATH: must be an absolute path like /cobrowse/health (got "health")'],
    ],
    [{ NODES, HEALTH_FALL: 0 }, ['HEALTH_FALL: must be an integer from 1 to 100 (got 0)']],
    [{ NODES, HEALTH_RISE: '2.5' }, ['HEALTH_RISE: must be an integer from 1 to 100 (got "2.5")']],
    [
      { NODES, HEALTH_INTERVAL_MS: 500, HEALTH_TIMEOUT_MS: 800 },
      ['HEALTH_TIMEOUT_MS: must not exceed HEALTH_INTERVAL_MS (800 > 500)'],
    ],
    [
      { NODES, HEALTH_EXPECT: '2xx,600' },
      ['HEALTH_EXPECT: must be statuses like 2xx, 200, 200-299 or 200,204 (got "2xx,600")'],
    ],
    [
      { NODES, HEALTH_EXPECT: '299-200' },
      ['HEALTH_EXPECT: must be statuses like 2xx, 200, 200-299 or 200,204 (got "299-200")'],
    ],
    [{ NODES, LOG_REQUESTS: 'some' }, ['LOG_REQUESTS: must be all, errors or off (got "some")']],
    [
      { NODES, HEALTH_EXPECT: { toString: false } },
      ['HEALTH_EXPECT: must be statuses like 2xx, 200, 200-299 or 200,204 (got {"toString":false})'],
    ],
    [{ NODES, REQUEST_ID_TO_NODES: 'yes' }, ['REQUEST_ID_TO_NODES: must be true or false (got "yes")']],
    [{ NODES, REQUEST_ID_TO_NODES: 1 }, ['REQUEST_ID_TO_NODES: must be true or false (got 1)']],
  ])('reports %j as %j', (env, expected) => {
    expect(problemsOf(parseConfig(env))).toEqual(expected);
  });

  it.each([
    ['2xx', [[200, 299]]],
    ['200', [[200, 200]]],
    [204, [[204, 204]]],
    [
      '200-204, 3xx',
      [
        [200, 204],
        [300, 399],
      ],
    ],
  ])('reads HEALTH_EXPECT %j as %j', (HEALTH_EXPECT, expected) => {
    const result = parseConfig({ NODES, HEALTH_EXPECT });
    expect(result.ok && result.config.health.expect).toEqual(expected);
  });

  it('names every problem at once, each with its field path', () => {
    const result = parseConfig({
      NODES: [{ id: '', url: 'nope' }, { id: 'ok', url: 'http://ok' }, 7],
      CONNECT_TIMEOUT_MS: -1,
      STICKY_PARAM: '',
      PATH_PREFIX: '/',
    });
    expect(problemsOf(result)).toEqual([
      expect.stringMatching(/^NODES\[0\]\.id: /),
      expect.stringMatching(/^NODES\[0\]\.url: /),
      expect.stringMatching(/^NODES\[2\]: /),
      expect.stringMatching(/^PATH_PREFIX: /),
      expect.stringMatching(/^CONNECT_TIMEOUT_MS: /),
    ]);
  });

  it('warns about private addresses without a binding, and bare public IPs, which a deployed Worker cannot reach', () => {
    const result = parseConfig({
      NODES: [
        { id: 'v4', url: 'http://10.0.0.7:8700' },
        { id: 'v6', url: 'http://[::1]:8700' },
        { id: 'guide', url: 'http://192.168.73.210:8700' },
        { id: 'name', url: 'http://cbnode1:8700' },
        { id: 'corp', url: 'http://cb1.corp:8700' },
        { id: 'public', url: 'http://203.0.113.9:8700' },
        { id: 'dns', url: 'http://cb.example.com:8700' },
        { id: 'mapped', url: 'http://[::ffff:192.168.1.2]:8700' },
      ],
      ALLOWED_ORIGINS: ['https://www.example.com'],
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.stringMatching(/^NODES\[0\]\.url: 10\.0\.0\.7 is a private address: .*Workers VPC binding/),
      expect.stringMatching(/^NODES\[1\]\.url: \[::1\] is a private address/),
      expect.stringMatching(/^NODES\[2\]\.url: 192\.168\.73\.210 is a private address/),
      expect.stringMatching(/^NODES\[3\]\.url: cbnode1 is a private address/),
      expect.stringMatching(/^NODES\[4\]\.url: cb1\.corp is a private address/),
      expect.stringMatching(/^NODES\[5\]\.url: 203\.0\.113\.9 is a bare IP address/),
      expect.stringMatching(/^NODES\[7\]\.url: \[::ffff:c0a8:102\] is a private address/),
    ]);
  });
});

describe('parseConfig: nodes reached through a binding (via)', () => {
  /** Stand-ins for the kinds of binding an env holds, as far as the check can tell them apart. */
  const fetcher = { fetch: (_input: RequestInfo | URL) => Promise.resolve(new Response('')), connect() {} };
  const healthBoard = { idFromName() {}, get() {} };
  // Native bindings are class instances; a var from TOML or JSON is a plain object.
  const rateLimit = new (class RateLimit {
    limit() {}
  })();
  const guide = (via: unknown) => [
    { id: 'CB_Server_1', url: 'http://192.168.73.210:8700', via },
    { id: 'CB_Server_2', url: 'http://192.168.73.210:8701', via },
  ];

  it('takes the named fetcher for every node that names it, with no address warning', () => {
    const result = parseConfig({
      NODES: [...guide('COBROWSE_NET'), { id: 'public', url: 'http://cb3.example.com:8700' }],
      COBROWSE_NET: fetcher,
      ALLOWED_ORIGINS: ['https://www.example.com'],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([]);
    expect(result.config.nodes.map((node) => [node.id, node.via, node.fetcher])).toEqual([
      ['CB_Server_1', 'COBROWSE_NET', fetcher],
      ['CB_Server_2', 'COBROWSE_NET', fetcher],
      ['public', undefined, globalThis],
    ]);
  });

  it.each([
    [undefined, /^NODES\[0\]\.via: the Worker has no binding "COBROWSE_NET" \(declare it under vpc_networks/],
    ['', /^NODES\[0\]\.via: must be the name of a binding/],
    [healthBoard, /^NODES\[0\]\.via: "COBROWSE_NET" is a Durable Object namespace .*, not a fetcher/],
    ['http://10.0.0.1', /^NODES\[0\]\.via: "COBROWSE_NET" is a var, not a fetcher/],
    [{ url: 'x' }, /^NODES\[0\]\.via: "COBROWSE_NET" is a var, not a fetcher/],
    [rateLimit, /^NODES\[0\]\.via: "COBROWSE_NET" is a binding of another kind, not a fetcher/],
  ])('refuses a binding that is %j, naming the field', (binding, problem) => {
    const via = binding === '' ? '' : 'COBROWSE_NET';
    const result = parseConfig({ NODES: guide(via), COBROWSE_NET: binding });
    expect(problemsOf(result)).toEqual([
      expect.stringMatching(problem),
      expect.stringMatching(/^NODES\[1\]\.via: /),
    ]);
  });

  it('refuses the health board by name, and a binding name that is not one', () => {
    const result = parseConfig({
      NODES: [
        { id: 'a', url: 'http://10.0.0.1:8700', via: 'HEALTH' },
        { id: 'b', url: 'http://10.0.0.2:8700', via: 7 },
        { id: 'c', url: 'http://10.0.0.3:8700', via: 'NET; rm' },
      ],
      HEALTH: healthBoard,
    });
    expect(problemsOf(result)).toEqual([
      expect.stringMatching(/^NODES\[0\]\.via: "HEALTH" is a Durable Object namespace/),
      expect.stringMatching(/^NODES\[1\]\.via: must be the name of a binding/),
      expect.stringMatching(/^NODES\[2\]\.via: must be the name of a binding/),
    ]);
  });
});
