/** The one health board of a deployment, as every caller reaches it (Worker isolates, socket gates). */
import type { HealthBoard } from './board';

const BOARD_NAME = 'health';

export function boardOf(env: Pick<Env, 'HEALTH'>): DurableObjectStub<HealthBoard> {
  return env.HEALTH.get(env.HEALTH.idFromName(BOARD_NAME));
}
