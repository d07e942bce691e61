/**
 * Entry of the gates' tail consumer (`cobrowse-edge-tail`, wrangler.tail.toml): the runtime hands it
 * the traces of the gates' script (wrangler.gates.toml lists it in `tail_consumers`), and it tells
 * each gate which of its sockets ended (socket-ends.ts), one call per gate per batch. It keeps no
 * state: a report that fails is logged, and the socket is then let go by its gate's backstop.
 */
import { logEvent } from '../lib/log';
import { gateNamed } from '../wire/gate-protocol';
import { socketEnds, type Trace } from './socket-ends';

/** The gates' namespace, bound from their script (`script_name`). */
export type TailEnv = Pick<Env, 'SOCKETS'>;

export default {
  async tail(events: readonly Trace[], env: TailEnv): Promise<void> {
    const reports = [...socketEnds(events)].map(([gate, ids]) =>
      gateNamed(env, gate)
        .ended(ids)
        .catch((error: unknown) =>
          logEvent('socket ends not reported', { gate, sockets: ids.length, error: String(error) }, 'error'),
        ),
    );
    await Promise.all(reports);
  },
};
