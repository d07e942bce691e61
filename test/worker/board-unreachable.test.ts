/**
 * When the health board cannot be reached, the Worker routes from the last state it knew: a node the
 * board had disabled stays out, the others keep serving, and no request fails because of the board.
 */
import { env, SELF } from 'cloudflare:test';
import { expect, it, onTestFinished } from 'vitest';
import { HealthBoard } from '../../src/health/board';

async function nodeFor(cookie: string): Promise<{ status: number; node: string | null }> {
  const res = await SELF.fetch('https://edge.example.com/cobrowse/health', { headers: { cookie } });
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
  // Past the 2 s after which the copy is refreshed before use: the refresh fails, the copy stays.
  await new Promise((resolve) => setTimeout(resolve, 2200));
  for (let i = 0; i < 5; i++) {
    expect(await nodeFor('gcbSessionServer=.ok')).toEqual({ status: 200, node: 'ok' });
    // Still disabled in the last known state: its session goes elsewhere (owner-down), never to it.
    const moved = await nodeFor('gcbSessionServer=.sick');
    expect(moved.node).not.toBe('sick');
  }
  // Proof that the board was asked and failed (not merely that the copy was still fresh).
  expect(brokenCalls).toBeGreaterThan(0);
});
