import { describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../src/config/config';
import type { Availability, AvailabilityOf } from '../../src/wire/availability';
import { noLoad } from '../../src/wire/node-load';
import { chooseNewSessionNode, type Placement } from '../../src/worker/balance';
import { cookieValues, elsewhereRoute, readPin, route } from '../../src/worker/routing';

function configOf(env: Record<string, unknown>): Config {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.config;
}

const config = configOf({
  NODES: [
    { id: 'CB_Server_1', url: 'http://cb1.example.com' },
    { id: 'CB_Server_2', url: 'http://cb2.example.com', weight: 3 },
    { id: 'spare', url: 'http://cb3.example.com', weight: 0 },
  ],
});
const everyoneUp: AvailabilityOf = () => 'serving';
const up = () => true;
/** Choice by weight alone, with `random` as every random number: the same input, the same node. */
const byWeight = (random: number): Placement => ({
  loadOf: noLoad,
  balance: { policy: 'random', slowStartMs: 0 },
  now: 0,
  random: () => random,
});

describe('cookieValues', () => {
  it.each([
    [null, []],
    ['', []],
    ['gcbSessionServer=.CB_Server_1', ['.CB_Server_1']],
    ['a=1; gcbSessionServer=.CB_Server_1; b=2', ['.CB_Server_1']],
    ['gcbSessionServer=".CB_Server_1"', ['.CB_Server_1']],
    ['gcbSessionServer', []],
    ['xgcbSessionServer=.CB_Server_1', []],
    ['gcbSessionServer=.A; gcbSessionServer=.B', ['.A', '.B']],
    ['a=1, gcbSessionServer=.CB_Server_2', ['.CB_Server_2']],
    ['gcbSessionServer=', ['']],
  ])('%j gives %j', (header, expected) => {
    expect(cookieValues(header, 'gcbSessionServer')).toEqual(expected);
  });

  /** The rule as RFC 6265 pairs read it, written plainly: what the pair-by-pair scan must equal. */
  const byPairs = (header: string, name: string) =>
    header
      .split(/[;,]/)
      .filter((pair) => pair.includes('=') && pair.slice(0, pair.indexOf('=')).trim() === name)
      .map((pair) => pair.slice(pair.indexOf('=') + 1).trim())
      .map((value) =>
        value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value,
      );

  it('reads what splitting into pairs reads, for 30,000 headers made of the characters that matter', () => {
    const pieces = ['gcbSessionServer', 'gcb', '=', ';', ',', ' ', '\t', '"', '.', 'S', '\u00a0', 'x'];
    let seed = 21;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 30_000; i++) {
      let header = '';
      for (let j = Math.floor(next() * 12); j > 0; j--) header += pieces[Math.floor(next() * pieces.length)];
      expect(cookieValues(header, 'gcbSessionServer')).toEqual(byPairs(header, 'gcbSessionServer'));
    }
  });
});

describe('readPin', () => {
  const pinOf = (query: string, cookie: string | null) =>
    readPin(new URL(`https://edge.example.com/cobrowse/x${query}`), cookie, config);

  it.each([
    ['', 'gcbSessionServer=.CB_Server_1', 'CB_Server_1', 'sticky'],
    ['', 'gcbSessionServer=CB_Server_2', 'CB_Server_2', 'sticky'],
    ['', 'gcbSessionServer=node.CB_Server_2', 'CB_Server_2', 'sticky'],
    ['', 'gcbSessionServer=.CB_Server_1; gcbSessionServer=.CB_Server_1', 'CB_Server_1', 'sticky'],
    ['?co-browse-node-id=CB_Server_2', null, 'CB_Server_2', 'url'],
    ['?co-browse-node-id=.CB_Server_2', null, 'CB_Server_2', 'url'],
    ['?co-browse-node-id=CB_Server_2', 'gcbSessionServer=.CB_Server_1', 'CB_Server_2', 'url'],
    ['?co-browse-node-id=nope', 'gcbSessionServer=.CB_Server_1', 'CB_Server_1', 'sticky'],
    ['?co-browse-node-id=spare', null, 'spare', 'url'],
  ])('query %j, cookie %j: pinned to %s by %s', (query, cookie, node, source) => {
    const pin = pinOf(query, cookie);
    expect(pin?.node.id).toBe(node);
    expect(pin?.source).toBe(source);
  });

  it.each([
    ['', null],
    ['', 'gcbSessionServer='],
    ['', 'gcbSessionServer=.'],
    ['', 'gcbSessionServer=.cb_server_1'],
    ['', 'gcbSessionServer=.CB_Server_9'],
    ['', 'gcbSessionServer=.CB_Server_1%00'],
    ['', 'gcbSessionServer=..CB_Server_1'],
    ['', 'gcbSessionServer=.CB_Server_1 x'],
    ['', 'gcbSessionServer=.CB_Server_1; gcbSessionServer=.CB_Server_2'],
    ['', 'gcbSessionServer=.http://evil.example.com'],
    ['', 'gcbSessionServer=.cb1.example.com'],
    ['', `gcbSessionServer=.${'A'.repeat(10_000)}`],
    ['?co-browse-node-id=', null],
    ['?co-browse-node-id=CB_Server_1&co-browse-node-id=CB_Server_2', null],
    ['?co-browse-node-id=127.0.0.1:8080', null],
    ['?co-browse-node-id=%00', null],
    ['?co-browse-node-id=http%3A%2F%2Fevil', null],
    ['?co-browse-node-id=__proto__', null],
    ['?co-browse-node-id=constructor', null],
  ])('query %j, cookie %j: no pin', (query, cookie) => {
    expect(pinOf(query, cookie)).toBeUndefined();
  });
});

describe('choice by weight (BALANCE = random)', () => {
  it.each([
    [0, 'CB_Server_1'],
    [0.2499, 'CB_Server_1'],
    [0.25, 'CB_Server_2'],
    [0.9999, 'CB_Server_2'],
  ])('random %d picks %s (weights 1:3, a weight-0 node never)', (random, expected) => {
    expect(chooseNewSessionNode(config.nodes, up, byWeight(random))).toMatchObject({ id: expected });
  });

  it('spreads new sessions in proportion to weight', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const chosen = chooseNewSessionNode(config.nodes, up, byWeight(i / 1000));
      const id = typeof chosen === 'object' ? chosen.id : 'none';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ CB_Server_1: 250, CB_Server_2: 750 });
  });

  it('skips unavailable nodes and gives none when nobody is left', () => {
    const notTwo = (node: { id: string }) => node.id !== 'CB_Server_2';
    expect(chooseNewSessionNode(config.nodes, notTwo, byWeight(0.9))).toMatchObject({ id: 'CB_Server_1' });
    expect(chooseNewSessionNode(config.nodes, () => false, byWeight(0.5))).toBeUndefined();
  });
});

describe('route', () => {
  const sticky = readPin(new URL('https://e/cobrowse'), 'gcbSessionServer=.CB_Server_1', config);
  const byUrl = readPin(new URL('https://e/cobrowse?co-browse-node-id=CB_Server_1'), null, config);
  const with1 =
    (state: Availability): AvailabilityOf =>
    (node) =>
      node.id === 'CB_Server_1' ? state : 'serving';

  it.each([
    ['serving', sticky, 0.9, 'CB_Server_1', 'sticky'],
    ['serving', byUrl, 0.9, 'CB_Server_1', 'url'],
    ['draining', sticky, 0.9, 'CB_Server_1', 'sticky'],
    ['unavailable', sticky, 0.1, 'CB_Server_2', 'owner-down'],
    ['unavailable', byUrl, 0.1, 'CB_Server_2', 'owner-down'],
    ['serving', undefined, 0.1, 'CB_Server_1', 'balanced'],
    ['draining', undefined, 0.1, 'CB_Server_2', 'balanced'],
    ['unavailable', undefined, 0.1, 'CB_Server_2', 'balanced'],
  ] as const)('CB_Server_1 %s, pin %#: %s by %s', (state, pin, random, node, reason) => {
    expect(route(pin, config, with1(state), byWeight(random))).toMatchObject({ node: { id: node }, reason });
  });

  it('gives no route when no node is serving, even for a pin to a draining node', () => {
    expect(route(sticky, config, () => 'unavailable', byWeight(0.1))).toBeUndefined();
    expect(route(undefined, config, () => 'draining', byWeight(0.1))).toBeUndefined();
    expect(route(sticky, config, () => 'draining', byWeight(0.1))).toMatchObject({
      node: { id: 'CB_Server_1' },
    });
  });
});

describe('elsewhereRoute', () => {
  it('picks a serving node that was not tried yet, with the reason given', () => {
    expect(elsewhereRoute(config, everyoneUp, new Set(['CB_Server_1']), 'retry', byWeight(0))).toMatchObject({
      node: { id: 'CB_Server_2' },
      reason: 'retry',
    });
    expect(
      elsewhereRoute(config, everyoneUp, new Set(['CB_Server_2']), 'owner-down', byWeight(0)),
    ).toMatchObject({
      node: { id: 'CB_Server_1' },
      reason: 'owner-down',
    });
    expect(
      elsewhereRoute(config, everyoneUp, new Set(['CB_Server_1', 'CB_Server_2']), 'retry', byWeight(0)),
    ).toBeUndefined();
  });
});
