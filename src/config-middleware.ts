/**
 * Puts the parsed config on the context. The env is parsed once per isolate (env is fixed for an
 * isolate's life); a broken config answers every request with a 500 naming every problem.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './app-env';
import { type ConfigResult, parseConfig } from './config';
import { EdgeError } from './errors';
import { logEvent } from './log';

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

export const loadConfig = createMiddleware<AppEnv>(async function loadConfig(c, next) {
  const result = configOf(c.env);
  if (!result.ok) {
    throw new EdgeError(500, 'config_invalid', 'the router configuration is invalid', {
      problems: result.problems,
    });
  }
  c.set('config', result.config);
  await next();
});
