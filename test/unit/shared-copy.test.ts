import { expect, it } from 'vitest';
import { SharedCopy } from '../../src/worker/shared-copy';

it('an isolate alone looks in the cache at once, 2 s later, then every minute', () => {
  const copy = new SharedCopy(() => 'isolate-a');
  const seconds = Array.from({ length: 400 }, (_, i) => i);
  const probes = seconds.filter((second) => copy.usesCache(second * 1000));
  expect(probes).toEqual([0, 2, 62, 122, 182, 242, 302, 362]);
  expect(copy.sharing(400_000)).toBe(false);
});
