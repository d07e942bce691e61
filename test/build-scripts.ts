/**
 * Builds the deployment's three scripts once for every test project (dist/index.js, dist/gates/index.js,
 * dist/tail/index.js, as `wrangler deploy` would upload them): the e2e tests run them as deployed, and
 * the workerd projects run each script's neighbours from them. Built per project or file, parallel
 * builds would overwrite each other.
 */
import { buildWorker } from '../scripts/build-worker.mjs';

export default function setup() {
  buildWorker();
}
