/** Builds the Worker bundle as `wrangler deploy` would upload it: dist/index.js. Offline. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WRANGLER = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));

export function buildWorker() {
  execFileSync(process.execPath, [WRANGLER, 'deploy', '--dry-run', '--outdir', 'dist'], {
    stdio: 'ignore',
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true' },
  });
}
