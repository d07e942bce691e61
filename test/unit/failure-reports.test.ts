import { describe, expect, it } from 'vitest';
import { BATCH_INTERVAL_MS, FailureReports } from '../../src/worker/failure-reports';

/** A board stand-in whose answers the test releases one by one. */
function board() {
  const calls: { node: string; count: number; error: string; answer: () => void }[] = [];
  const send = (node: string, count: number, error: string) =>
    new Promise<void>((answer) => calls.push({ node, count, error, answer }));
  return { calls, send };
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('passive failure reports, batched per node', () => {
  it('sends the first at once, and the ones made meanwhile as one report when it lands', async () => {
    const { calls, send } = board();
    const reports = new FailureReports(send);
    const first = reports.report('n1', 'status', 'answered 503');
    expect(first).toBeDefined();
    for (let i = 0; i < 999; i++)
      expect(reports.report('n1', i % 3 ? 'status' : 'unreachable', 'x')).toBeUndefined();
    expect(calls).toHaveLength(1);
    calls[0]?.answer();
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({
      node: 'n1',
      count: 999,
      error: '999 failures (333 unreachable, 666 status), last: x',
    });
    calls[1]?.answer();
    await first;
    // Nothing waits: the next failure goes at once again.
    expect(reports.report('n1', 'status', 'answered 502')).toBeDefined();
    expect(calls).toHaveLength(3);
  });

  it('keeps one report in flight per node, nodes independent', () => {
    const { calls, send } = board();
    const reports = new FailureReports(send);
    reports.report('n1', 'status', 'a');
    reports.report('n2', 'timeout', 'b');
    reports.report('n1', 'status', 'c');
    expect(calls.map((call) => [call.node, call.count])).toEqual([
      ['n1', 1],
      ['n2', 1],
    ]);
  });

  it('goes on after a report that failed: what waited is still sent', async () => {
    const calls: number[] = [];
    const reports = new FailureReports(async (_node, count) => {
      calls.push(count);
      if (calls.length === 1) {
        await settle();
        throw new Error('board unreachable');
      }
    });
    const first = reports.report('n1', 'status', 'a');
    reports.report('n1', 'status', 'b');
    await expect(first).rejects.toThrow('board unreachable');
    expect(calls).toEqual([1, 1]);
  });

  it('spaces reports of errors answered by a live node at least BATCH_INTERVAL_MS apart; refusals do not wait', async () => {
    const { calls, send } = board();
    const waits: number[] = [];
    let release = () => {};
    const reports = new FailureReports(send, (ms) => {
      waits.push(ms);
      return new Promise<void>((resolve) => (release = resolve));
    });
    reports.report('n1', 'status', 'answered 503');
    reports.report('n1', 'status', 'answered 503');
    calls[0]?.answer();
    await settle();
    // Answered with errors only: the batch waits out the interval (still joinable meanwhile).
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(BATCH_INTERVAL_MS - 50);
    reports.report('n1', 'status', 'answered 503');
    expect(calls).toHaveLength(1);
    release();
    await settle();
    expect(calls[1]).toMatchObject({ count: 2 });
    // A refused connection among them: no wait.
    reports.report('n1', 'unreachable', 'Network connection lost.');
    calls[1]?.answer();
    await settle();
    expect(calls).toHaveLength(3);
    expect(waits).toHaveLength(1);
  });
});
