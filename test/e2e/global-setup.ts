/**
 * Builds the Worker bundle once (dist/index.js, as `wrangler deploy` would upload it) for the tests that
 * run the Worker as deployed in raw Miniflare: built per file, parallel files would overwrite it.
 */
import { execFileSync } from 'node:child_process';

export default function setup() {
  execFileSync(
    process.execPath,
    ['node_modules/wrangler/bin/wrangler.js', 'deploy', '--dry-run', '--outdir', 'dist'],
    {
      stdio: 'ignore',
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
  );
}
