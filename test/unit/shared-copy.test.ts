import { expect, it } from 'vitest';
import { sharing, usesCache } from '../../src/health/shared-copy';

it('an isolate alone looks in the cache at once, then every 10th refresh', () => {
  const looks = Array.from({ length: 25 }, (_, i) => usesCache(1000 + i));
  expect(looks.map((look, i) => (look ? i : -1)).filter((i) => i >= 0)).toEqual([0, 10, 20]);
  expect(sharing(2000)).toBe(false);
});
