/**
 * The parsed config, for the proxy and, as middleware, on the operations app's context. The env is
 * parsed once per isolate (env is fixed for an isolate's life); a broken config answers every request
 * with a 500 naming every problem.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../admin/app-env';
import { EdgeError } from '../lib/errors';
import { logEvent } from '../lib/log';
import { type Config, type ConfigResult, parseConfig } from './config';

const parsed = new WeakMap<object, ConfigResult>();

function configOf(env: AppEnv['Bindings']): ConfigResult {
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
export function configFor(env: AppEnv['Bindings']): Config {
  const result = configOf(env);
  if (!result.ok) {
    throw new EdgeError(500, 'config_invalid', 'the router configuration is invalid', {
      problems: result.problems,
    });
  }
  return result.config;
}

export const loadConfig = createMiddleware<AppEnv>(async function loadConfig(c, next) {
  c.set('config', configFor(c.env));
  await next();
});
