/**
 * The operations sub-app, mounted at `/__lb`:
 *
 *   GET  /__lb/health                   the router's own liveness: open, tiny
 *   GET  /__lb/status                   JSON of every node and the effective config   (admin)
 *   GET  /__lb/                         the HTML status page                            (admin)
 *   POST /__lb/nodes/:id/drain|disable|enable                                          (admin)
 *
 * Admin reads and writes go to the health board directly: operators see the board's own state, and
 * a change is routed by at once in this isolate (others see it within a second).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../app-env';
import { EdgeError } from '../errors';
import { readBoard, setNodeMode } from '../health/snapshot';
import type { NodeMode } from '../health/state';
import { logEvent } from '../log';
import { requireAdmin } from './auth';
import { StatusPage } from './page';
import { statusReport } from './status';

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

ops.get('/status', async (c) => c.json(statusReport(await readBoard(c.env), c.get('config'))));

ops.get('/', async (c) =>
  c.html(<StatusPage report={statusReport(await readBoard(c.env), c.get('config'))} />),
);

ops.post('/nodes/:id/:action', async (c) => {
  const { id, action } = c.req.param();
  const mode = Object.hasOwn(MODES, action) ? MODES[action] : undefined;
  if (!mode)
    throw new EdgeError(404, 'unknown_action', `no action "${action}": use drain, disable or enable`);
  const snapshot = await setNodeMode(c.env, id, mode);
  const node = snapshot && statusReport(snapshot, c.get('config')).nodes.find((each) => each.id === id);
  if (!node) throw new EdgeError(404, 'unknown_node', `no node "${id}" in the roster`);
  logEvent('admin', { action, node: id, requestId: c.get('requestId') });
  // A form on the status page comes back to the page; the API gets the node's new status.
  if (c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded'))
    return c.redirect('/__lb/', 303);
  return c.json(node);
});

ops.all('*', () => {
  throw new EdgeError(404, 'not_found', 'no such operations endpoint');
});
