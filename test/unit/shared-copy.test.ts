import { expect, it } from 'vitest';
import { sharing, usesCache } from '../../src/health/shared-copy';

it('an isolate alone looks in the cache at once, then 1, 2, 4 ... s later, then every minute', () => {
  const seconds = Array.from({ length: 400 }, (_, i) => i);
  const probes = seconds.filter((second) => usesCache(second * 1000));
  expect(probes).toEqual([0, 1, 3, 7, 15, 31, 63, 123, 183, 243, 303, 363]);
  expect(sharing(400_000)).toBe(false);
});
