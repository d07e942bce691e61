/**
 * What the Worker and a socket gate (socket-gate.ts) say to each other over the gate's `fetch`: the
 * Worker sends the client's handshake (its headers already as a node may see them) to the gate's
 * `https://gate` + path, naming the roster node in GATE_NODE_HEADER; the gate answers with the node's
 * own answer (its 101 with the socket, or whatever else it said), or with an answer of its own that
 * carries GATE_FAILURE_HEADER when the node sent none. A node's answer never carries that header: the
 * gate removes it, so no node can pose as the gate.
 */
import type { AppEnv } from '../app-env';
import type { LocationHint } from '../config/config';
import type { RosterView } from '../config/live-config';
import type { TrafficReport } from '../telemetry/counts';
import type { FailureKind } from './failover';

export const GATE_ORIGIN = 'https://gate';
/** The roster id of the node to open the socket to; the gate looks it up in its own roster. */
export const GATE_NODE_HEADER = 'x-cobrowse-gate-node';
/** On the gate's own answer: how the attempt ended ({@link FailureKind}); the body says why. */
export const GATE_FAILURE_HEADER = 'x-cobrowse-gate-failure';

/** The gate's answer for a handshake the node did not answer. */
export function gateFailure(failure: FailureKind, detail: string): Response {
  return new Response(detail, { status: 502, headers: { [GATE_FAILURE_HEADER]: failure } });
}

/** The failure a gate reported, or undefined when `response` is the node's own answer. */
export async function readGateFailure(
  response: Response,
): Promise<{ readonly failure: FailureKind; readonly detail: string } | undefined> {
  const failure = response.headers.get(GATE_FAILURE_HEADER) as FailureKind | null;
  return failure === null ? undefined : { failure, detail: await response.text() };
}

/** The deployed version: its id names the gates, its upload time orders versions. */
export function versionOf(env: AppEnv['Bindings']): { readonly id: string; readonly at: number } {
  const metadata = env.CF_VERSION_METADATA;
  return { id: metadata?.id || 'unversioned', at: Date.parse(metadata?.timestamp ?? '') || 0 };
}

/** A gate's tick, told to the board: who it is, its version's upload time, its counts and held sockets. */
export interface GateCheckIn {
  readonly gate: string;
  readonly versionAt: number;
  readonly report: TrafficReport;
}

/** The board's news for the gates. */
export interface GateNews {
  /** Every node that is down or disabled now, or was removed (where its sockets must not stay open). */
  readonly unavailable: readonly string[];
  /** The roster as the board has it (runtime changes included): the only nodes a gate may reach. */
  readonly roster: readonly RosterView[];
  /** Upload time of the newest version any gate checked in with (0 when unknown). */
  readonly newestVersionAt: number;
}

/**
 * The gate named `name`, created where the location hint says (near the nodes) or where first used.
 * The stub's type comes from the generated `Env`, so this leaf imports no class.
 */
export function gateNamed(env: Pick<Env, 'SOCKETS'>, name: string, locationHint: LocationHint | undefined) {
  return env.SOCKETS.get(env.SOCKETS.idFromName(name), locationHint ? { locationHint } : undefined);
}
