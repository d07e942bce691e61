/**
 * The one health board of a deployment, as every caller reaches it (Worker isolates, socket gates).
 * The stub's type comes from the generated `Env`, so this leaf imports no class.
 */
const BOARD_NAME = 'health';

export function boardOf(env: Pick<Env, 'HEALTH'>) {
  return env.HEALTH.get(env.HEALTH.idFromName(BOARD_NAME));
}
