/**
 * When the health board cannot be reached, the Worker routes from the last state it knew: a node the
 * board had disabled stays out, the others keep serving, and no request fails because of the board.
 */
import { env, SELF } from 'cloudflare:test';
import { expect, it, onTestFinished } from 'vitest';
import { HealthBoard } from '../../src/board/board';
import { pathsSeenBy } from './demo-nodes';

async function nodeFor(
  cookie: string,
  path = '/cobrowse/health',
): Promise<{ status: number; node: string | null }> {
  const res = await SELF.fetch(`https://edge.example.com${path}`, { headers: { cookie } });
  await res.arrayBuffer();
  return { status: res.status, node: res.headers.get('x-cobrowse-node') };
}

it('routes from the last known state while the board is unreachable', async () => {
  const board = env.HEALTH.get(env.HEALTH.idFromName('health'));
  await board.setMode('sick', 'disabled');
  // This isolate learns the board's state.
  expect(await nodeFor('gcbSessionServer=.ok')).toEqual({ status: 200, node: 'ok' });
  // RPC calls the class's methods, not an instance's own properties: the prototype's are replaced
  // (and restored after), so the board's calls really fail, and are counted.
  const prototype = HealthBoard.prototype as unknown as Record<string, unknown>;
  const saved = {
    snapshot: prototype.snapshot,
    reportFailure: prototype.reportFailure,
    setMode: prototype.setMode,
  };
  let brokenCalls = 0;
  const broken = () => {
    brokenCalls++;
    throw new Error('health board unreachable (test)');
  };
  Object.assign(prototype, { snapshot: broken, reportFailure: broken, setMode: broken });
  onTestFinished(() => {
    Object.assign(prototype, saved);
  });
  // Requests go on until the copy is old enough to be refreshed: the refresh fails, the copy stays,
  // and every request is still served meanwhile.
  await expect
    .poll(
      async () => {
        expect(await nodeFor('gcbSessionServer=.ok')).toEqual({ status: 200, node: 'ok' });
        return brokenCalls;
      },
      { timeout: 10_000, interval: 200 },
    )
    .toBeGreaterThan(0);
  for (let i = 0; i < 5; i++) {
    expect(await nodeFor('gcbSessionServer=.ok')).toEqual({ status: 200, node: 'ok' });
    // Still disabled in the last known state: its session goes elsewhere (owner-down), never to it.
    const moved = await nodeFor('gcbSessionServer=.sick', `/cobrowse/session/unreachable-${i}`);
    expect(moved.node).not.toBe('sick');
  }
  // The sick node still serves (only its health check says 503): had a request gone to it, it would
  // have recorded it.
  expect((await pathsSeenBy('sick')).filter((path) => path.includes('unreachable-'))).toEqual([]);
});
