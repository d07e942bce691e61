/**
 * The admin lockout holds in every isolate: two router Workers (two isolates, as Cloudflare runs
 * many) share one health board, which counts failed logins. A guesser locked out through one isolate
 * gets 429 from the other too, the right token included; IPv6 clients are counted by their /64.
 */
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DemoNode, startNodes } from './support/cluster';
import { routersSharingOneBoard } from './support/shared-board';

const ADMIN_TOKEN = 'lockout-token-0123456789abcdef012345';
let nodes: DemoNode[];
let mf: Miniflare;

beforeAll(async () => {
  nodes = await startNodes(['CB_Server_1']);
  mf = routersSharingOneBoard(2, { NODES: nodes.map(({ id, url }) => ({ id, url })), ADMIN_TOKEN });
  await mf.ready;
});
afterAll(async () => {
  await mf?.dispose();
  await Promise.all((nodes ?? []).map((node) => node.stop()));
});

async function statusFrom(router: number, address: string, token: string): Promise<number> {
  const worker = await mf.getWorker(`router-${router}`);
  const res = await worker.fetch('http://edge.example.com/__lb/status', {
    headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': address },
  });
  await res.arrayBuffer();
  return res.status;
}

it('ten failed logins through one isolate lock the address out of the other one too', async () => {
  const failures = [];
  for (let i = 0; i < 11; i++) failures.push(await statusFrom(0, '198.51.100.7', `wrong-${i}`));
  expect(failures.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(failures[10]).toBe(429);
  // Another isolate, the right token: still 429 (a guesser cannot tell when it guessed right).
  expect(await statusFrom(1, '198.51.100.7', ADMIN_TOKEN)).toBe(429);
  // Another address is not locked.
  expect(await statusFrom(1, '198.51.100.8', ADMIN_TOKEN)).toBe(200);
});

it('counts an IPv6 client by its /64: another address of the same block is locked out with it', async () => {
  for (let i = 1; i <= 11; i++) await statusFrom(i % 2, `2001:db8:7:9::${i.toString(16)}`, 'wrong');
  expect(await statusFrom(0, '2001:0db8:0007:0009:ffff:1:2:3', ADMIN_TOKEN)).toBe(429);
  expect(await statusFrom(0, '2001:db8:7:a::1', ADMIN_TOKEN)).toBe(200);
});
