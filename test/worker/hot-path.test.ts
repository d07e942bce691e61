/**
 * The Worker reads health from a per-isolate copy, not from the Durable Object per request.
 */
import { env, SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('makes far fewer than one health board call per request at steady state', async () => {
  const board = env.HEALTH.get(env.HEALTH.idFromName('health'));
  const before = (await board.snapshot()).calls;
  const REQUESTS = 300;
  for (let i = 0; i < REQUESTS; i++) {
    const res = await SELF.fetch('https://edge.example.com/cobrowse/health', {
      headers: { cookie: 'gcbSessionServer=.ok' },
    });
    expect(res.headers.get('x-cobrowse-node')).toBe('ok');
    await res.arrayBuffer();
  }
  // The +1 is this test's own read below.
  const calls = (await board.snapshot()).calls - before - 1;
  console.log(
    `health board calls: ${calls} for ${REQUESTS} requests (${(calls / REQUESTS).toFixed(3)} per request)`,
  );
  expect(calls / REQUESTS).toBeLessThan(0.05);
});
