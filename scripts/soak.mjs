/**
 * `npm run test:soak`: the soak for as long as asked (not in CI; CI runs a short one). Prints the
 * account and exits 1 if any promise broke.
 *
 *   npm run test:soak -- --seconds 600 --sockets 500 --polls 300 [--health defaults]
 */
import { parseArgs } from 'node:util';
import { brokenPromises, formatReport, runSoak } from './soak/run.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    sockets: { type: 'string', default: '500' },
    polls: { type: 'string', default: '200' },
    health: { type: 'string', default: 'fast' },
  },
});
const report = await runSoak({
  seconds: Number(values.seconds),
  sockets: Number(values.sockets),
  polls: Number(values.polls),
  health: values.health === 'defaults' ? 'defaults' : 'fast',
  log: (line) => console.log(line),
});
console.log(`\n${formatReport(report)}\n`);
const broken = brokenPromises(report);
console.log(broken.length === 0 ? 'every promise held' : `BROKEN:\n- ${broken.join('\n- ')}`);
process.exit(broken.length === 0 ? 0 : 1);
