/**
 * A short soak (the full one is `npm run test:soak`, see RELIABILITY.md): WebSocket and long-poll
 * sessions through the router while one node is killed and restarted, one frozen and one made
 * unhealthy. Only the failed nodes' sessions end, each with the termination answer; nothing is lost or
 * misrouted anywhere else.
 */
import { expect, it } from 'vitest';
import { brokenPromises, formatReport, runSoak } from '../../scripts/soak/run.mjs';

it('holds 120 WebSocket and 40 long-poll sessions through a kill, a freeze and a failing health check', async () => {
  const report = await runSoak({ seconds: 20, sockets: 120, polls: 40, build: false });
  console.log(formatReport(report));
  expect(brokenPromises(report)).toEqual([]);
  expect(report.tallies.CB_Server_4?.sent).toBeGreaterThan(30 * 15);
}, 90_000);
