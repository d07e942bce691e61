/**
 * The Worker's side of the socket gates (socket-gate.ts): which gate a handshake goes through, and
 * what its answer means.
 *
 * A gate is named by the deployed version and a shard: `<version id>:<0..SOCKET_GATES-1>`, the shard
 * drawn per handshake, so a cluster's sockets and handshakes spread over SOCKET_GATES objects, and a
 * new deploy's handshakes reach gates running its own code (the old ones retire; socket-gate.ts). The
 * gates are created where LOCATION_HINT says, near the nodes: every message crosses client -> edge ->
 * gate -> node.
 *
 * When no gate can be reached, the handshake still succeeds, straight through from this Worker
 * (forward.ts): working, but nobody can cut it when its node goes. That is counted per node
 * (`webSocketsUncuttable`) and logged at most once a minute per isolate.
 */
import type { AppEnv } from '../app-env';
import type { Config } from '../config/config';
import type { NodeConfig } from '../config/roster';
import { logEvent } from '../log';
import type { Forwarded } from './failover';
import { GATE_NODE_HEADER, GATE_ORIGIN, gateNamed, readGateFailure, versionOf } from './gate-protocol';

const DEGRADED_LOG_MS = 60_000;
/** When this isolate last logged a handshake that bypassed the gates (its one piece of state). */
let degradedLoggedAt = Number.NEGATIVE_INFINITY;

/**
 * Sends a handshake for `node` (headers as the node may see them) through a socket gate: the node's
 * answer, the failure the gate saw, or undefined when no gate could be reached (then the caller opens
 * the socket itself).
 */
export async function throughGate(
  env: AppEnv['Bindings'],
  config: Config,
  node: NodeConfig,
  target: string,
  headers: Headers,
): Promise<Forwarded | undefined> {
  const name = `${versionOf(env).id}:${Math.floor(Math.random() * config.sockets.gates)}`;
  const gate = gateNamed(env, name, config.locationHint);
  headers.set(GATE_NODE_HEADER, node.id);
  let answer: Response;
  try {
    answer = await gate.fetch(GATE_ORIGIN + target, { headers });
  } catch (error) {
    const now = Date.now();
    if (now - degradedLoggedAt >= DEGRADED_LOG_MS) {
      degradedLoggedAt = now;
      logEvent('socket gate unreachable', { gate: name, node: node.id, error: String(error) }, 'error');
    }
    return undefined;
  } finally {
    headers.delete(GATE_NODE_HEADER);
  }
  const failure = await readGateFailure(answer);
  return failure ? { ok: false, ...failure } : { ok: true, response: answer };
}
