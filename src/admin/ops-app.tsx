/**
 * The operations sub-app, mounted at `/__lb`:
 *
 *   GET  /__lb/health                   the router's own liveness: open, tiny
 *   GET  /__lb/status                   JSON of every node, its traffic, the config    (admin)
 *   GET  /__lb/metrics                  the same for Prometheus (text exposition)      (admin)
 *   GET  /__lb/                         the HTML status page                            (admin)
 *   POST /__lb/nodes/:id/drain|disable|enable                                          (admin)
 *
 * Admin reads and writes go to the health board directly: operators see the board's own state, and
 * a change is routed by at once in this isolate (others see it within a second).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../app-env';
import type { Config } from '../config/config';
import { EdgeError } from '../errors';
import { stateOf } from '../health/node-state';
import { readBoard, readTraffic, setNodeMode } from '../health/snapshot';
import type { NodeMode } from '../health/state';
import { logEvent } from '../log';
import { METRICS_CONTENT_TYPE, metricsText } from '../telemetry/prometheus';
import { requireAdmin } from './auth';
import { StatusPage } from './page';
import { type StatusReport, statusReport } from './status';

const MAX_ACTION_BODY_BYTES = 1024;
const MODES: Readonly<Record<string, NodeMode>> = {
  drain: 'draining',
  disable: 'disabled',
  enable: 'active',
};

export const ops = new Hono<AppEnv>();

ops.get('/health', (c) => c.json({ status: 'ok' }));

ops.use('/', requireAdmin);
ops.use('/status', requireAdmin);
ops.use('/metrics', requireAdmin);
ops.use('/nodes/*', requireAdmin);
// Node actions take no body; a form's `action=drain` is all a client needs to send.
ops.use(
  '/nodes/*',
  bodyLimit({
    maxSize: MAX_ACTION_BODY_BYTES,
    onError: () => {
      throw new EdgeError(
        413,
        'body_too_large',
        `a node action takes at most ${MAX_ACTION_BODY_BYTES} bytes of body`,
      );
    },
  }),
);

/** Health and traffic, read together from the board. */
async function currentReport(env: AppEnv['Bindings'], config: Config): Promise<StatusReport> {
  const [snapshot, traffic] = await Promise.all([readBoard(env), readTraffic(env)]);
  return statusReport(snapshot, traffic, config);
}

ops.get('/status', async (c) => c.json(await currentReport(c.env, c.get('config'))));

ops.get('/metrics', async (c) => {
  const [snapshot, traffic] = await Promise.all([readBoard(c.env), readTraffic(c.env)]);
  return c.body(metricsText(snapshot, traffic), 200, { 'content-type': METRICS_CONTENT_TYPE });
});

ops.get('/', async (c) => c.html(<StatusPage report={await currentReport(c.env, c.get('config'))} />));

ops.post('/nodes/:id/:action', async (c) => {
  const { id, action } = c.req.param();
  const mode = Object.hasOwn(MODES, action) ? MODES[action] : undefined;
  if (!mode)
    throw new EdgeError(404, 'unknown_action', `no action "${action}": use drain, disable or enable`);
  const snapshot = await setNodeMode(c.env, id, mode);
  const node = snapshot?.nodes.find((each) => each.id === id);
  if (!node) throw new EdgeError(404, 'unknown_node', `no node "${id}" in the roster`);
  logEvent('admin', { action, node: id, requestId: c.get('requestId') });
  // A form on the status page comes back to the page; the API gets the node's new status.
  if (c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded'))
    return c.redirect('/__lb/', 303);
  return c.json({ ...node, state: stateOf(node) });
});

ops.all('*', () => {
  throw new EdgeError(404, 'not_found', 'no such operations endpoint');
});
