/**
 * Builds the deployment's three scripts as `wrangler deploy` would upload them, offline: the router
 * (wrangler.toml -> dist/index.js), the socket gates (wrangler.gates.toml -> dist/gates/index.js) and
 * their tail consumer (wrangler.tail.toml -> dist/tail/index.js).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WRANGLER = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));

/** Each script: its config, where its bundle goes, and its name (as the configs bind each other). */
export const SCRIPTS = [
  { name: 'cobrowse-edge', config: 'wrangler.toml', outdir: 'dist' },
  { name: 'cobrowse-edge-gates', config: 'wrangler.gates.toml', outdir: 'dist/gates' },
  { name: 'cobrowse-edge-tail', config: 'wrangler.tail.toml', outdir: 'dist/tail' },
];

export function buildWorker() {
  for (const { config, outdir } of SCRIPTS) {
    execFileSync(process.execPath, [WRANGLER, 'deploy', '--dry-run', '-c', config, '--outdir', outdir], {
      stdio: 'ignore',
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true' },
    });
  }
}

/** The constants of the router's timed work, as the bundle declares them, and what the copy sets. */
const TIMED_WORK = ['FRESH_MS', 'HAND_OVER_MS'];
const HOUR_MS = 3_600_000;

/**
 * A copy of the bundle `path` with the timed work an hour apart (the bench's BENCH_TIMED_WORK=off);
 * returns the copy's path, next to it (Miniflare runs bundles from inside the project). Fails loudly
 * if a constant is not found, rather than counting a bundle that was not changed.
 */
export function withoutTimedWork(path) {
  let text = readFileSync(path, 'utf8');
  for (const name of TIMED_WORK) {
    const declaration = new RegExp(`var ${name} = [^;]+;`);
    if (!declaration.test(text)) throw new Error(`${path}: no "var ${name} = ..." to switch off`);
    text = text.replace(declaration, `var ${name} = ${HOUR_MS};`);
  }
  const copy = path.replace(/\.js$/, '.without-timed-work.js');
  writeFileSync(copy, text);
  return copy;
}
