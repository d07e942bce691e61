import { afterEach, expect, it, vi } from 'vitest';
import type { LogRequests } from '../../src/config/config';
import { isRoutine, logRequest, type RequestLog } from '../../src/log';

const base: RequestLog = {
  requestId: 'r',
  method: 'GET',
  path: '/cobrowse/x',
  node: 'CB_Server_1',
  reason: 'sticky',
  status: 200,
  durationMs: 3,
  webSocket: false,
};

afterEach(() => {
  vi.restoreAllMocks();
});

it.each([
  [{}, true],
  [{ reason: 'balanced' }, true],
  [{ reason: 'url', status: 410 }, true],
  [{ status: 101, webSocket: true }, true],
  [{ reason: 'owner-down' }, false],
  [{ reason: 'retry', retriedFrom: ['CB_Server_2'] }, false],
  [{ status: 502, failure: 'Network connection lost.' }, false],
  [{ status: 503 }, false],
  [{ node: null, reason: null, status: 503 }, false],
] as const)('a request %j is routine: %s', (change, routine) => {
  expect(isRoutine({ ...base, ...change })).toBe(routine);
});

it.each([
  ['all', 2],
  ['errors', 1],
  ['off', 0],
] as const)('LOG_REQUESTS=%s writes %i of a routine and a failed request', (mode: LogRequests, lines) => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  logRequest(base, mode);
  logRequest({ ...base, status: 502, failure: 'x' }, mode);
  expect(log).toHaveBeenCalledTimes(lines);
});
