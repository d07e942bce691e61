import { describe, expect, it } from 'vitest';
import { type AttemptFacts, nextStep } from '../../src/worker/failover';

/** A pinned long-poll or WebSocket handshake. */
const pinnedGet: AttemptFacts = { pinned: true, safeWithoutBody: true, replayable: true };
/** A new session's page load. */
const freshGet: AttemptFacts = { pinned: false, safeWithoutBody: true, replayable: true };
/** A new session's POST whose small body was read before sending. */
const freshPost: AttemptFacts = { pinned: false, safeWithoutBody: false, replayable: true };
/** A pinned publish whose small body was read before sending. */
const pinnedPost: AttemptFacts = { pinned: true, safeWithoutBody: false, replayable: true };
/** A 10 MB DOM snapshot, streamed: its body went to the node and cannot be sent again. */
const streamedPost: AttemptFacts = { pinned: true, safeWithoutBody: false, replayable: false };
const streamedFreshPost: AttemptFacts = { pinned: false, safeWithoutBody: false, replayable: false };

const fail = { kind: 'fail' };
const confirm = { kind: 'confirm' };
const ownerDown = { kind: 'elsewhere', reason: 'owner-down' };
const retry = { kind: 'elsewhere', reason: 'retry' };

describe('nextStep', () => {
  it.each([
    [pinnedGet, fail],
    [freshGet, fail],
    [freshPost, fail],
    [streamedPost, fail],
  ])('a header timeout ends only that request, whatever it is (%o)', (facts, expected) => {
    expect(nextStep(facts, 'timeout')).toEqual(expected);
  });

  it.each([
    [pinnedGet, ownerDown],
    [freshGet, retry],
  ])('a node marked down while a bodyless request waited: %o -> %o, at once', (facts, expected) => {
    expect(nextStep(facts, 'node-down')).toEqual(expected);
  });

  it.each([
    [pinnedPost, ownerDown],
    [freshPost, retry],
  ])('a node marked down while a read body waited: confirmed dead first (%o)', (facts, moved) => {
    expect(nextStep(facts, 'node-down')).toEqual(confirm);
    expect(nextStep(facts, 'node-down', true)).toEqual(moved);
    // A hung node may wake and process what it was sent: the body is not sent again.
    expect(nextStep(facts, 'node-down', false)).toEqual(fail);
  });

  it.each([streamedPost, streamedFreshPost])(
    'a node marked down while a streamed body waited: fail (%o)',
    (facts) => {
      expect(nextStep(facts, 'node-down')).toEqual(fail);
    },
  );

  it('retries an unpinned bodyless GET at once after a refused or reset connection', () => {
    expect(nextStep(freshGet, 'unreachable')).toEqual(retry);
  });

  it.each([pinnedGet, pinnedPost, freshPost])(
    'asks whether the node is dead before moving a pinned request or resending a body (%o)',
    (facts) => {
      expect(nextStep(facts, 'unreachable')).toEqual(confirm);
      expect(nextStep(facts, 'unreachable', false)).toEqual(fail);
    },
  );

  it('moves a pinned request as owner-down, and resends a read body, once the node is confirmed dead', () => {
    expect(nextStep(pinnedGet, 'unreachable', true)).toEqual(ownerDown);
    expect(nextStep(pinnedPost, 'unreachable', true)).toEqual(ownerDown);
    expect(nextStep(freshPost, 'unreachable', true)).toEqual(retry);
  });

  it('never resends a streamed body, even to replace a dead node', () => {
    for (const confirmed of [undefined, true, false]) {
      for (const failure of ['unreachable', 'node-down'] as const) {
        expect(nextStep(streamedPost, failure, confirmed)).toEqual(fail);
        expect(nextStep(streamedFreshPost, failure, confirmed)).toEqual(fail);
      }
    }
  });
});
