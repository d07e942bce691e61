/**
 * Properties that must hold for any input a client or an operator can produce: the chosen node is in
 * the roster or there is none, hop-by-hop and client-asserted forwarding headers never pass, and
 * nothing throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/config';
import type { Availability } from '../../src/wire/availability';
import type { NodeLoad } from '../../src/wire/node-load';
import { chooseNewSessionNode, isFull, type Placement } from '../../src/worker/balance';
import { FIELD_NAME, HOP_BY_HOP, upstreamRequestHeaders } from '../../src/worker/headers';
import { cookieValues, readPin, route } from '../../src/worker/routing';

// CI replays one fixed sample, so a red run reproduces; local runs draw new inputs every time.
if (process.env.CI) fc.configureGlobal({ seed: 20_261_124 });

const ROSTER_IDS = ['CB_Server_1', 'CB_Server_2', 'node.with.dots', 'x'];

function configOf(env: Record<string, unknown>): Config {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config;
}

const config = configOf({
  NODES: ROSTER_IDS.map((id, index) => ({ id, url: `http://cb${index}.example.com:8700`, weight: index })),
});
const rosterNodes = new Set(config.nodes);

/** Text a client may send: roster ids and near misses, dots, separators, quotes, control characters. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    ...ROSTER_IDS.map((id) => `.${id}`),
    ...ROSTER_IDS,
    '',
    '.',
    '..',
    '"',
    ';',
    ',',
    '=',
    '%00',
  ),
  fc
    .array(
      fc.constantFrom(...ROSTER_IDS, '.', ';', ',', '=', ' ', '"', 'gcbSessionServer', 'http://', ':8080'),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
);
const availability = fc.constantFrom<Availability>('serving', 'draining', 'unavailable');

describe('for any cookie header and query', () => {
  it('the pin is a roster node or none, and reading it never throws', () => {
    fc.assert(
      fc.property(hostileText, hostileText, hostileText, (cookie, paramValue, extraQuery) => {
        const url = new URL('https://edge.example.com/cobrowse/x');
        url.searchParams.append('co-browse-node-id', paramValue);
        url.search += `&${encodeURI(extraQuery).replace(/#/g, '%23')}`;
        const pin = readPin(url, `gcbSessionServer=${cookie}; ${cookie}`, config);
        if (pin) expect(rosterNodes.has(pin.node)).toBe(true);
        expect(() => cookieValues(cookie, 'gcbSessionServer')).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('for any pin, health and randomness', () => {
  it('the route is a roster node that can serve it, or none', () => {
    fc.assert(
      fc.property(
        hostileText,
        fc.array(availability, { minLength: ROSTER_IDS.length, maxLength: ROSTER_IDS.length }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (cookie, states, random) => {
          const stateOf = (node: { id: string }) => states[ROSTER_IDS.indexOf(node.id)] ?? 'unavailable';
          const pin = readPin(new URL('https://e/cobrowse'), `gcbSessionServer=${cookie}`, config);
          const placement: Placement = {
            loadOf: () => ({ openSessions: 0, servingSince: null }),
            balance: { policy: 'least-sessions', slowStartMs: 0 },
            now: 0,
            random: () => random,
          };
          const chosen = route(pin, config, stateOf, placement);
          if (typeof chosen !== 'object') return;
          expect(rosterNodes.has(chosen.node)).toBe(true);
          expect(stateOf(chosen.node)).not.toBe('unavailable');
          if (chosen.reason === 'balanced' || chosen.reason === 'owner-down') {
            expect(stateOf(chosen.node)).toBe('serving');
            expect(chosen.node.weight).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a new session goes to an eligible node with weight and room, whenever one exists', () => {
    const load = fc.record({
      openSessions: fc.nat({ max: 200 }),
      servingSince: fc.option(fc.nat({ max: 120_000 })),
    });
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fc.array(load, { minLength: 4, maxLength: 4 }),
        fc.array(fc.option(fc.integer({ min: 1, max: 200 })), { minLength: 4, maxLength: 4 }),
        fc.constantFrom('least-sessions', 'random'),
        fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
        (eligible, loads, capacities, policy, randoms) => {
          const nodes = config.nodes.map((node, index) => ({
            ...node,
            maxSessions: capacities[index] ?? undefined,
          }));
          const loadOf = (node: { id: string }) => loads[ROSTER_IDS.indexOf(node.id)] as NodeLoad;
          const isEligible = (node: { id: string }) => eligible[ROSTER_IDS.indexOf(node.id)] === true;
          const pick = chooseNewSessionNode(nodes, isEligible, {
            loadOf,
            balance: { policy, slowStartMs: 60_000 },
            now: 60_000,
            random: () => randoms.next().value as number,
          });
          const serving = nodes.filter((node) => isEligible(node) && node.weight > 0);
          const withRoom = serving.filter((node) => !isFull(node, loadOf(node)));
          if (serving.length === 0) expect(pick).toBeUndefined();
          else if (withRoom.length === 0) expect(pick).toBe('full');
          else expect(withRoom).toContain(pick);
        },
      ),
    );
  });
});

const headerName = fc.oneof(
  fc.constantFrom(
    ...HOP_BY_HOP,
    'forwarded',
    'x-forwarded-for',
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-real-ip',
    'x-request-id',
    'host',
    'cookie',
    'x-custom',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
);
const headerValue = fc.string({ maxLength: 40 }).map((value) => value.replace(/[\r\n\0]/g, '').trim());

describe('for any request headers', () => {
  it('hop-by-hop and client-asserted forwarding fields never reach the node', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 12 }),
        fc.boolean(),
        fc.option(fc.constant('203.0.113.9'), { nil: undefined }),
        fc.option(fc.constant('req-1'), { nil: undefined }),
        (pairs, webSocket, clientIp, requestId) => {
          const incoming = new Headers();
          for (const [name, value] of pairs) incoming.append(name, value);
          if (webSocket) incoming.set('upgrade', 'websocket');
          const out = upstreamRequestHeaders(incoming, {
            clientIp,
            url: new URL('https://cobrowse.example.com/cobrowse/x'),
            requestId,
            webSocket,
          });
          for (const name of HOP_BY_HOP) {
            if (webSocket && name === 'upgrade') expect(out.get(name)).toBe('websocket');
            else if (webSocket && name === 'connection') expect(out.get(name)).toBe('Upgrade');
            else expect(out.has(name)).toBe(false);
          }
          for (const token of (incoming.get('connection') ?? '').split(',')) {
            const named = token.trim().toLowerCase();
            if (FIELD_NAME.test(named) && !(webSocket && (named === 'upgrade' || named === 'connection')))
              expect(out.has(named)).toBe(false);
          }
          expect(out.get('x-forwarded-for')).toBe(clientIp ?? null);
          expect(out.get('x-forwarded-host')).toBe('cobrowse.example.com');
          expect(out.get('x-forwarded-proto')).toBe('https');
          expect(out.get('x-request-id')).toBe(requestId ?? null);
          expect(out.has('forwarded') || out.has('x-real-ip') || out.has('host')).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('for any environment', () => {
  it('parsing the config never throws: it is valid, or names its problems', () => {
    const value = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.json());
    fc.assert(
      fc.property(
        fc.record(
          {
            NODES: fc.oneof(
              value,
              fc.array(fc.record({ id: value, url: value, weight: value }, { requiredKeys: [] })),
            ),
            CONNECT_TIMEOUT_MS: value,
            HEALTH_EXPECT: value,
            HEALTH_INTERVAL_MS: value,
            STICKY_COOKIE: value,
            PATH_PREFIX: value,
            LOG_REQUESTS: value,
            REQUEST_ID_TO_NODES: value,
          },
          { requiredKeys: [] },
        ),
        (env) => {
          const result = parseConfig(env);
          if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
          else expect(result.config.nodes.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

/**
 * Fields a Jetty, Tomcat or Co-browse node may trust from its proxy (Jetty 9.4's
 * ForwardedRequestCustomizer first), written down here independently of the router's own rule.
 */
const TRUSTED_BY_NODES = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-ssl',
  'x-forwarded-prefix',
  'x-forwarded-scheme',
  'x-forwarded-by',
  'x-forwarded-client-cert',
  'x-proxied-https',
  'proxy-ssl-id',
  'proxy-auth-cert',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'client-ip',
  'x-original-url',
  'x-original-host',
  'x-rewrite-url',
  'x-host',
  'x-ssl-cert',
  'x-ssl-client-cert',
  'ssl-client-cert',
  'x-arr-ssl',
  'x-arr-clientcert',
  'front-end-https',
  'x-url-scheme',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'authorization',
];
/** A name as a client may spell it: any case, `_` for `-` (which CGI-style servers read as `-`). */
const spelled = fc
  .tuple(fc.constantFrom(...TRUSTED_BY_NODES), fc.boolean(), fc.boolean())
  .map(([name, upper, underscores]) => {
    const cased = upper ? name.toUpperCase() : name;
    return underscores ? cased.replaceAll('-', '_') : cased;
  });
/** How a node reads a field name. */
const asNodeReads = (name: string) => name.toLowerCase().replaceAll('_', '-');

describe('for any forwarding or client-identity field a client sends', () => {
  it('the node sees only the values the router set, however the name is spelled', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(spelled, headerName), headerValue), { minLength: 1, maxLength: 12 }),
        (pairs) => {
          const incoming = new Headers();
          for (const [name, value] of pairs) incoming.append(name, value);
          const out = upstreamRequestHeaders(incoming, {
            clientIp: '203.0.113.9',
            url: new URL('https://cobrowse.example.com/cobrowse/x'),
            requestId: 'req-1',
            webSocket: false,
          });
          const routerSets: Record<string, string> = {
            'x-forwarded-for': '203.0.113.9',
            'x-forwarded-host': 'cobrowse.example.com',
            'x-forwarded-proto': 'https',
          };
          for (const [name, value] of out) {
            const read = asNodeReads(name);
            if (!TRUSTED_BY_NODES.includes(read)) continue;
            expect(routerSets[read], `${name} reached the node`).toBeDefined();
            expect(name).toBe(read);
            expect(value).toBe(routerSets[read]);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
