/**
 * The Worker's side of the socket gates (socket-gate.ts): which gate a handshake goes through, and
 * what its answer means.
 *
 * A gate is named by the deployed version and a shard: `<version id>:<0..SOCKET_GATES-1>`, the shard
 * taken from the client key (gateShard), so a cluster's sockets and handshakes spread over
 * SOCKET_GATES objects while each client's sockets all meet in one gate, which caps them
 * (WEBSOCKETS_PER_CLIENT); a new deploy's handshakes reach gates of its own version (the old ones
 * retire; gate/socket-gate.ts). The gates are created where LOCATION_HINT says, near the nodes: every
 * message crosses client -> edge -> gate -> node.
 *
 * Each handshake gets a new id: the gate holds the socket under it, and the gates' tail consumer
 * reports its end under it (wire/gate-protocol.ts).
 *
 * When no gate can be reached, the handshake still succeeds, straight through from this Worker
 * (forward.ts): working, but nobody can cut it when its node goes. That is counted per node
 * (`webSocketsUncuttable`) and logged at most once a minute per isolate.
 */
import type { Bindings } from '../config/bindings';
import type { Config } from '../config/config';
import type { NodeConfig } from '../config/roster';
import { type LogThrottle, logEvent } from '../lib/log';
import {
  CLIENT_FULL,
  GATE_CLIENT_HEADER,
  GATE_NAME_HEADER,
  GATE_NODE_HEADER,
  GATE_ORIGIN,
  GATE_REQUEST_HEADERS,
  GATE_SOCKET_HEADER,
  gateNamed,
  readGateAnswer,
  versionOf,
} from '../wire/gate-protocol';
import type { AttemptOutcome } from './failover';
import { tooManyRequests } from './rate-limits';

/**
 * Sends a handshake for `node` (headers as the node may see them) from `client` (its client key)
 * through a socket gate: the node's answer, the failure the gate saw, or undefined when no gate could
 * be reached (then the caller opens the socket itself, and `trouble` says whether to log it). Throws
 * the 429 when the client already holds its share of open sockets.
 */
export async function throughGate(
  env: Bindings,
  config: Config,
  node: NodeConfig,
  target: string,
  headers: Headers,
  client: string,
  trouble: LogThrottle,
): Promise<AttemptOutcome | undefined> {
  const name = `${versionOf(env).id}:${gateShard(client, config.sockets.gates)}`;
  const gate = gateNamed(env, name, config.locationHint);
  headers.set(GATE_NODE_HEADER, node.id);
  headers.set(GATE_SOCKET_HEADER, crypto.randomUUID());
  headers.set(GATE_CLIENT_HEADER, client);
  headers.set(GATE_NAME_HEADER, name);
  let answer: Response;
  try {
    answer = await gate.fetch(GATE_ORIGIN + target, { headers });
  } catch (error) {
    if (trouble.due(Date.now())) {
      logEvent('socket gate unreachable', { gate: name, node: node.id, error: String(error) }, 'error');
    }
    return undefined;
  } finally {
    for (const header of GATE_REQUEST_HEADERS) headers.delete(header);
  }
  const read = await readGateAnswer(answer);
  if ('response' in read) return { ok: true, response: read.response };
  if (read.failure === CLIENT_FULL) {
    throw tooManyRequests(
      'too_many_websockets',
      `too many open Co-browse WebSockets from this address: ${read.detail}`,
    );
  }
  return { ok: false, failure: read.failure, detail: read.detail };
}

/**
 * The shard of a client's gate: FNV-1a of its key, so every socket of one client key meets in the
 * same gate (which caps them) and keys spread evenly over `gates`.
 */
export function gateShard(client: string, gates: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < client.length; i++) hash = Math.imul(hash ^ client.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % gates;
}
