/**
 * The parsed config, for every program of the router's script (the operations app puts it on its
 * context: admin/app.ts `loadConfig`). The env is
 * parsed once per isolate (env is fixed for an isolate's life); a broken config answers every request
 * with a 500 naming every problem.
 */
import { EdgeError } from '../lib/errors';
import { logEvent } from '../lib/log';
import type { Bindings } from './bindings';
import { type Config, type ConfigResult, parseConfig } from './config';

const parsed = new WeakMap<object, ConfigResult>();

function configOf(env: Bindings): ConfigResult {
  let result = parsed.get(env);
  if (!result) {
    result = parseConfig(env);
    parsed.set(env, result);
    if (result.warnings.length > 0) logEvent('config warnings', { items: result.warnings }, 'warn');
    if (!result.ok) logEvent('config invalid', { items: result.problems }, 'error');
  }
  return result;
}

/** The parsed config; a broken one throws the 500 that names every problem. */
export function configFor(env: Bindings): Config {
  const result = configOf(env);
  if (!result.ok) {
    throw new EdgeError(500, 'config_invalid', 'the router configuration is invalid', {
      problems: result.problems,
    });
  }
  return result.config;
}
