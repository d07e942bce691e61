/**
 * `npm run deploy [-- --env production] [-- --dry-run]`: deploys the three scripts, in the order their
 * bindings need (README "Deploying"):
 * 1. the socket gates (wrangler.gates.toml): the class the other two bind by `script_name`;
 * 2. their tail consumer (wrangler.tail.toml), which the gates' script lists;
 * 3. the router (wrangler.toml), which binds the gates and hosts the health board the gates bind.
 * Each step is `wrangler deploy -c <config>` with the same arguments; the first failure stops it. With
 * `--dry-run` every script is built to dist-deploy/<name> and nothing is uploaded (npm run check).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SCRIPTS } from './build-worker.mjs';

const WRANGLER = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const ORDER = ['cobrowse-edge-gates', 'cobrowse-edge-tail', 'cobrowse-edge'];
const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');

for (const name of ORDER) {
  const { config } = SCRIPTS.find((script) => script.name === name);
  const out = dryRun ? ['--outdir', `dist-deploy/${name}`] : [];
  console.log(`\n== ${name} (${config})`);
  execFileSync(process.execPath, [WRANGLER, 'deploy', '-c', config, ...out, ...args], { stdio: 'inherit' });
}
