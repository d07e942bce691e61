/**
 * One active check of one node: `GET <origin><path>` through what reaches the node (its VPC binding or
 * the Worker's fetch), passed when the status is expected and the answer came within the timeout.
 */

import type { HealthConfig } from '../config/health-config';
import type { NodeConfig } from '../config/roster';
import type { CheckOutcome } from './node-health';

export async function probe(node: NodeConfig, health: HealthConfig): Promise<CheckOutcome> {
  const started = Date.now();
  try {
    const res = await node.fetcher.fetch(node.origin + health.path, {
      headers: { 'user-agent': 'cobrowse-edge-health' },
      redirect: 'manual',
      signal: AbortSignal.timeout(health.timeoutMs),
    });
    // The body is not needed; cancelling it frees the connection at once.
    await res.body?.cancel();
    const latencyMs = Date.now() - started;
    const expected = health.expect.some(([min, max]) => res.status >= min && res.status <= max);
    return expected
      ? { ok: true, latencyMs }
      : { ok: false, failure: 'status', latencyMs, error: `health check answered ${res.status}` };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return timedOut
      ? { ok: false, failure: 'timeout', latencyMs: null, error: `no answer within ${health.timeoutMs} ms` }
      : {
          ok: false,
          failure: 'unreachable',
          latencyMs: null,
          error: `unreachable: ${(error as Error).message}`,
        };
  }
}

/**
 * Is the node dead? True when a fresh request to its health path cannot connect at all. An answer of
 * any status, or a timeout (a hung node may still wake and process what it was sent), is not proof.
 */
export async function isDead(node: NodeConfig, health: HealthConfig): Promise<boolean> {
  const outcome = await probe(node, health);
  return !outcome.ok && outcome.failure === 'unreachable';
}
