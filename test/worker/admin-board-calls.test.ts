/**
 * What an admin request costs the health board (issue 31, finding 2): the board is one global object
 * that also runs health, failure reports and gate check-ins, so a flood at /__lb must not become a
 * flood of board calls. The board's admin methods are wrapped (the prototype's, as RPC calls them) to
 * count the calls that really reach it.
 */
import { env, SELF } from 'cloudflare:test';
import { beforeEach, expect, it, onTestFinished } from 'vitest';
import { HealthBoard } from '../../src/board/board';
import { startInOneRateWindow } from '../e2e/support/rate-window';

const token = (env as unknown as { ADMIN_TOKEN: string }).ADMIN_TOKEN;
let boardCalls = 0;

beforeEach(() => {
  const prototype = HealthBoard.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved = { adminLockedOut: prototype.adminLockedOut, adminLoginFailed: prototype.adminLoginFailed };
  boardCalls = 0;
  for (const [name, original] of Object.entries(saved)) {
    prototype[name] = function counted(this: unknown, ...args: unknown[]) {
      boardCalls++;
      return original?.apply(this, args);
    };
  }
  onTestFinished(() => {
    Object.assign(prototype, saved);
  });
});

async function adminStatus(address: string, authorization?: string, path = '/__lb/status'): Promise<number> {
  const res = await SELF.fetch(`https://edge.example.com${path}`, {
    headers: { 'cf-connecting-ip': address, ...(authorization ? { authorization } : {}) },
  });
  await res.arrayBuffer();
  return res.status;
}

it('answers a request with no credential 401 without asking the board, and never locks its address out', async () => {
  const statuses = [];
  for (let i = 0; i < 200; i++)
    statuses.push(await adminStatus('198.51.100.20', i % 2 ? 'Bearer' : undefined));
  expect(new Set(statuses)).toEqual(new Set([401]));
  expect(boardCalls).toBe(0);
  // Nothing was counted against the address: the right token works from it.
  expect(await adminStatus('198.51.100.20', `Bearer ${token}`)).toBe(200);
});

it('remembers a locked-out address in the isolate: its further guesses cost the board nothing', async () => {
  const first = [];
  for (let i = 0; i < 11; i++) first.push(await adminStatus('198.51.100.21', `Bearer wrong-${i}`));
  expect(first.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(first[10]).toBe(429);
  const callsToLock = boardCalls;
  const after = [];
  for (let i = 0; i < 100; i++) after.push(await adminStatus('198.51.100.21', `Bearer wrong-again-${i}`));
  after.push(await adminStatus('198.51.100.21', `Bearer ${token}`));
  expect(new Set(after)).toEqual(new Set([429]));
  expect(boardCalls - callsToLock).toBe(0);
});

it('limits credentialed admin requests per address before the board: past 300 a minute, 429 and no board call', async () => {
  await startInOneRateWindow(20_000);
  const statuses: number[] = [];
  let callsAtLimit = 0;
  for (let i = 0; i < 320; i++) {
    // An unknown admin path: authenticated, then a 404, with no other board work.
    statuses.push(await adminStatus('198.51.100.22', `Bearer ${token}`, '/__lb/nothing-here'));
    if (i === 299) callsAtLimit = boardCalls;
  }
  expect(statuses.slice(0, 300)).toEqual(Array(300).fill(404));
  expect(new Set(statuses.slice(300))).toEqual(new Set([429]));
  expect(boardCalls).toBe(callsAtLimit);
});
