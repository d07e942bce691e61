import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogRequests } from '../../src/config/config';
import { PointSampler } from '../../src/worker/analytics';
import { isRoutine, type RequestLog, requestLine } from '../../src/worker/request-log';

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
] as const)(
  'LOG_REQUESTS=%s, no sampling, writes %i of a routine and a failed request',
  (mode: LogRequests, lines) => {
    const written = [requestLine(true, mode, 0), requestLine(false, mode, 0)].filter(Boolean);
    expect(written).toHaveLength(lines);
  },
);

it('samples routine lines at LOG_SAMPLE_RATE under errors, each marked with it; failures always', () => {
  let sampled = 0;
  for (let i = 0; i < 20_000; i++) {
    const line = requestLine(true, 'errors', 0.01);
    if (line) {
      sampled++;
      expect(line).toEqual({ sampleRate: 0.01 });
    }
    expect(requestLine(false, 'errors', 0.01)).toEqual({});
  }
  // 200 expected; 4.5 standard deviations either side.
  expect(sampled).toBeGreaterThan(137);
  expect(sampled).toBeLessThan(263);
});

describe('sampled data points', () => {
  it('keep the weighted count unbiased: 10,000 requests of mixed kinds at the default rate, within 5 %', () => {
    for (let run = 0; run < 20; run++) {
      const sampler = new PointSampler();
      const kinds = ['a sticky 2', 'b sticky 2', 'a balanced 2', 'a sticky 4'];
      const truth = new Map<string, number>();
      const weighted = new Map<string, number>();
      let points = 0;
      for (let i = 0; i < 10_000; i++) {
        // Uneven kinds, in a random order.
        const kind = kinds[Math.min(3, Math.floor(Math.random() ** 2 * 4))] as string;
        truth.set(kind, (truth.get(kind) ?? 0) + 1);
        const weight = sampler.weightOf(kind, 0.05);
        if (weight > 0) points++;
        weighted.set(kind, (weighted.get(kind) ?? 0) + weight);
      }
      const total = [...weighted.values()].reduce((sum, value) => sum + value, 0);
      expect(Math.abs(total - 10_000) / 10_000).toBeLessThan(0.05);
      // Per kind, within one interval (20) of the truth.
      for (const [kind, count] of truth)
        expect(Math.abs((weighted.get(kind) ?? 0) - count)).toBeLessThanOrEqual(20);
      expect(points).toBeLessThanOrEqual(10_000 / 20 + kinds.length);
    }
  });

  it('writes every point at rate 1 and none at 0', () => {
    const sampler = new PointSampler();
    expect([1, 2, 3].map(() => sampler.weightOf('k', 1))).toEqual([1, 1, 1]);
    expect([1, 2, 3].map(() => sampler.weightOf('k', 0))).toEqual([0, 0, 0]);
  });
});
