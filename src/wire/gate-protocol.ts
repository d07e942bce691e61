/**
 * What the programs around the socket gates say to each other (the gates run in a script of their
 * own, `cobrowse-edge-gates`: gate/index.ts).
 *
 * Worker -> gate, over the gate's `fetch`: the client's handshake (its headers already as a node may
 * see them) to `https://gate` + path, naming the roster node (GATE_NODE_HEADER), the socket's id
 * (GATE_SOCKET_HEADER) and the client key it counts against (GATE_CLIENT_HEADER). The gate answers
 * with the node's own answer (its 101 with the socket, or whatever else it said), or with an answer of
 * its own that carries GATE_FAILURE_HEADER when the node sent none. A node's answer never carries that
 * header: the gate removes it from every answer it passes on (its 101 too), and the Worker believes it
 * only on a 502 without a socket naming a known kind (readGateAnswer), so no node can pose as the gate. The Worker sets all three headers
 * itself; whatever a client sent under those names is gone (headers.ts drops `x-cobrowse-*`).
 *
 * Tail consumer -> gate (`ended`): the trace of the gate's invocation that returned a socket completes
 * only when that socket ends; it carries the request's headers, so the gate's name and the socket's id
 * travel in plain headers (the runtime redacts header names with auth, key, secret, token, jwt or
 * cookie in them).
 *
 * Gate <-> board: a gate's tick checks in (GateCheckIn) and gets the news (GateNews), which also
 * carries the settings the gate works by: the gates' script has no roster or settings of its own, so
 * one place (the router's config) decides them.
 */
import type { LocationHint } from '../config/config';
import type { RosterView } from '../config/live-config';
import type { NoAnswer, TrafficReport } from './counts';

export const GATE_ORIGIN = 'https://gate';
/** The roster id of the node to open the socket to; the gate looks it up in its own roster. */
export const GATE_NODE_HEADER = 'x-cobrowse-gate-node';
/** On the gate's own answer: how the attempt ended ({@link NoAnswer}); the body says why. */
export const GATE_FAILURE_HEADER = 'x-cobrowse-gate-failure';
/** The gate's name (`<version>:<shard>`), for the tail consumer to find it again. */
export const GATE_NAME_HEADER = 'x-cobrowse-gate-name';
/** The socket's id, unique per handshake: how its end is reported. */
export const GATE_SOCKET_HEADER = 'x-cobrowse-gate-socket';
/** The client key (rate-limits.ts clientKey) the socket counts against. */
export const GATE_CLIENT_HEADER = 'x-cobrowse-gate-client';
/** The Worker's headers for the gate only: the gate removes them all before the node's request. */
export const GATE_REQUEST_HEADERS = [
  GATE_NODE_HEADER,
  GATE_SOCKET_HEADER,
  GATE_CLIENT_HEADER,
  GATE_NAME_HEADER,
] as const;
/** GATE_FAILURE_HEADER's value when the client already holds its share of open sockets. */
export const CLIENT_FULL = 'client-full';

/** Why a gate answered itself: how the node attempt failed, or the client's share is taken. */
export type GateRefusal = NoAnswer | typeof CLIENT_FULL;

/** The gate's answer for a handshake the node did not answer, or that it refused. */
export function gateFailure(failure: GateRefusal, detail: string): Response {
  return new Response(detail, { status: 502, headers: { [GATE_FAILURE_HEADER]: failure } });
}

/** Every value GATE_FAILURE_HEADER may carry on an answer the gate built. */
const GATE_REFUSALS: ReadonlySet<string> = new Set<GateRefusal>([
  'timeout',
  'unreachable',
  'node-down',
  CLIENT_FULL,
]);

/**
 * What a gate's answer is: the failure the gate reported, or the node's own answer. Only an answer the
 * gate could have built counts as a failure (a 502 with no socket, naming a known kind). The gate strips
 * the header from every node answer it passes on; should one still carry it, it is the node's answer,
 * passed on without it, so no node can pose as the gate (a node's 101 with `node-down` would move the
 * client to another node and orphan its socket).
 */
export async function readGateAnswer(
  response: Response,
): Promise<{ readonly failure: GateRefusal; readonly detail: string } | { readonly response: Response }> {
  const failure = response.headers.get(GATE_FAILURE_HEADER);
  if (failure === null) return { response };
  if (response.status === 502 && !response.webSocket && GATE_REFUSALS.has(failure)) {
    return { failure: failure as GateRefusal, detail: await response.text() };
  }
  // A copy: a fetched answer's headers may be immutable.
  const copy = response.webSocket
    ? new Response(null, { status: 101, headers: response.headers, webSocket: response.webSocket })
    : new Response(response.body, response);
  copy.headers.delete(GATE_FAILURE_HEADER);
  return { response: copy };
}

/** The deployed version: its id names the gates, its upload time orders versions. */
export function versionOf(env: { readonly CF_VERSION_METADATA?: WorkerVersionMetadata }): {
  readonly id: string;
  readonly at: number;
} {
  const metadata = env.CF_VERSION_METADATA;
  return { id: metadata?.id || 'unversioned', at: Date.parse(metadata?.timestamp ?? '') || 0 };
}

/** A gate's tick, told to the board: who it is, its version's upload time, its counts and held sockets. */
export interface GateCheckIn {
  readonly gate: string;
  readonly versionAt: number;
  readonly report: TrafficReport;
}

/** What a gate works by, decided by the router's config (config.ts `sockets`, CONNECT_TIMEOUT_MS). */
export interface GateSettings {
  /** How long a handshake may wait for the node's answer. */
  readonly connectTimeoutMs: number;
  /** The backstop: a socket whose end was never reported is cut this long after it opened. */
  readonly backstopMs: number;
  /** Open sockets one client key may hold (null: no cap). */
  readonly perClient: number | null;
}

/** The board's news for the gates. */
export interface GateNews {
  /** What the gate works by. Absent from a board older than the gates' own script. */
  readonly settings?: GateSettings;
  /**
   * When any gate last reported a socket's end to the board (0: none since the board started).
   * Absent from a board older than the gates' own script.
   */
  readonly endsSeenAt?: number;
  /** Every node that is down or disabled now, or was removed (where its sockets must not stay open). */
  readonly unavailable: readonly string[];
  /** The roster as the board has it (runtime changes included): the only nodes a gate may reach. */
  readonly roster: readonly RosterView[];
  /** Upload time of the newest version any gate checked in with (0 when unknown). */
  readonly newestVersionAt: number;
}

/**
 * The gate named `name`, created where the location hint says (near the nodes) or where first used.
 * The stub's type comes from the generated `Env` (which reads the gates' script's config), so this
 * leaf imports no class.
 */
export function gateNamed(env: Pick<Env, 'SOCKETS'>, name: string, locationHint?: LocationHint) {
  return env.SOCKETS.get(env.SOCKETS.idFromName(name), locationHint ? { locationHint } : undefined);
}
