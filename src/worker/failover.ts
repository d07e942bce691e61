/**
 * What the router does after an attempt at a node ended without the node's answer: a pure function of
 * the request and of how the attempt ended.
 *
 * The rules, and why:
 * - A Co-browse session lives in its node's memory. Moving a pinned request to another node ends the
 *   session (that node answers "not owner"), so that happens only when the owner is known to be gone:
 *   the health board says so (`node-down`), or a fresh connection to it is refused (`confirm`).
 * - A header timeout on a node that passes its health checks is a slow answer, not a dead node: that one
 *   request gets its 504 and nothing moves. Fast failover never depends on this timer.
 * - A body is never sent again while the node that got it may be alive: workerd reports a refused
 *   connection and a reset after the request went out with the same error, and a hung node marked down
 *   may wake and process what it was sent. It is sent again only when it was read whole before the first
 *   attempt (`replayable`) and a fresh connection to the first node is refused: what a dead node did
 *   died with it.
 * - A bodyless GET, HEAD or OPTIONS is safe to send anywhere: without a pin at once, pinned once its
 *   owner is known to be gone.
 */
import type { NoAnswer } from '../wire/counts';

/** How one attempt at a node ended: its answer, or how it failed. */
export type AttemptOutcome =
  | { readonly ok: true; readonly response: Response }
  /** The node sent no response headers. */
  | { readonly ok: false; readonly failure: NoAnswer; readonly detail: string };

export interface AttemptFacts {
  /** Did the request name its node (cookie or parameter)? */
  readonly pinned: boolean;
  /** GET, HEAD or OPTIONS with no body: safe to repeat anywhere. */
  readonly safeWithoutBody: boolean;
  /** Can the request be sent again: no body, or a body read whole before the first attempt. */
  readonly replayable: boolean;
}

export type NextStep =
  /** Send it to another serving node, reason `owner-down` (pinned) or `retry` (not pinned). */
  | { readonly kind: 'elsewhere'; readonly reason: 'owner-down' | 'retry' }
  /** Open a fresh connection to the node to learn whether it is dead, then decide again. */
  | { readonly kind: 'confirm' }
  /** Answer the client with the failure (502, or 504 for a timeout). */
  | { readonly kind: 'fail' };

const FAIL: NextStep = { kind: 'fail' };
const CONFIRM: NextStep = { kind: 'confirm' };

function elsewhere(facts: AttemptFacts): NextStep {
  return { kind: 'elsewhere', reason: facts.pinned ? 'owner-down' : 'retry' };
}

/**
 * The next step after a failed attempt. `confirmedDead` is the answer to a `confirm` step: undefined
 * before one, true when a fresh connection to the node was refused, false when the node answered (or
 * the check could not tell).
 */
export function nextStep(facts: AttemptFacts, failure: NoAnswer, confirmedDead?: boolean): NextStep {
  if (failure === 'timeout') return FAIL;
  if (facts.safeWithoutBody && (failure === 'node-down' || !facts.pinned)) return elsewhere(facts);
  if (!facts.replayable) return FAIL;
  if (confirmedDead === undefined) return CONFIRM;
  return confirmedDead ? elsewhere(facts) : FAIL;
}
