/**
 * The operations sub-app, mounted at `/__lb`:
 *
 *   GET  /__lb/health                   the router's own liveness: open, tiny
 *   GET  /__lb/status                   JSON of every node, its traffic, the config    (admin)
 *   GET  /__lb/metrics                  the same for Prometheus (text exposition)      (admin)
 *   GET  /__lb/                         the HTML status page                            (admin)
 *   POST /__lb/nodes/:id/drain|disable|enable  (drain?deadline=<s>: disabled after)   (admin)
 *   PUT  /__lb/nodes/:id                { url, weight?, via?, maxSessions? }: add or change  (admin)
 *   DELETE /__lb/nodes/:id              removed once quiet (drained meanwhile) or at ?deadline=<s>
 *                                       (default REMOVAL_DEADLINE_S); ?force=1 now             (admin)
 *   POST /__lb/roster/reset             the roster is NODES from wrangler.toml again         (admin)
 *   POST /__lb/roster, POST /__lb/nodes/:id/remove   the same from the status page's forms  (admin)
 *
 * Admin reads and writes go to the health board directly: operators see the board's own state, and
 * a change is routed by at once in this isolate (others see it within a second).
 */
import { type Context, Hono, type HonoRequest } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { Config } from '../config/config';
import type { RosterEntry } from '../config/roster-changes';
import { EdgeError } from '../lib/errors';
import { logEvent } from '../lib/log';
import type { NodeMode } from '../wire/node-health';
import { isolate } from '../worker/isolate';
import type { AppEnv } from './app-env';
import { allow, authenticate } from './auth';
import {
  changeRoster,
  readAlerts,
  readBoard,
  readRoster,
  readTraffic,
  resetRoster,
  setNodeMode,
} from './board-operations';
import { formOf, formToken as formTokenFor, isForm, type PageForms } from './form-token';
import { METRICS_CONTENT_TYPE, metricsText } from './metrics';
import { stateOf } from './node-state';
import { StatusPage } from './page';
import { RosterPage } from './roster-page';
import { type StatusReport, statusReport } from './status';

const MAX_ACTION_BODY_BYTES = 1024;
const MODES: Readonly<Record<string, NodeMode>> = {
  drain: 'draining',
  disable: 'disabled',
  enable: 'active',
};

export const ops = new Hono<AppEnv>();

/** The only endpoints open without the admin token; every other one, unknown ones included, needs it. */
const PUBLIC = new Set(['/__lb/health']);

ops.use(
  createMiddleware<AppEnv>(async function adminUnlessPublic(c, next) {
    if (PUBLIC.has(c.req.path)) return next();
    return authenticate(c, next);
  }),
);

ops.get('/health', (c) => c.json({ status: 'ok' }));

// Node actions take no body, a roster entry a few fields: a small limit for all of them.
const smallBody = () =>
  bodyLimit({
    maxSize: MAX_ACTION_BODY_BYTES,
    onError: () => {
      throw new EdgeError(
        413,
        'body_too_large',
        `a node action takes at most ${MAX_ACTION_BODY_BYTES} bytes of body`,
      );
    },
  });
ops.use('/nodes/*', smallBody());
ops.use('/roster/*', smallBody());
ops.use('/roster', smallBody());

// What each change takes (admin/auth.ts): node actions an admin credential, roster changes the roster
// token; a browser's, only from the status page on the admin host.
const operate = allow('operate');
const roster = allow('roster');

/** Health, traffic and the roster's runtime changes, read together from the board. */
async function currentReport(env: AppEnv['Bindings'], config: Config): Promise<StatusReport> {
  const [snapshot, traffic, roster, alerts] = await Promise.all([
    readBoard(isolate.health, env),
    readTraffic(env),
    readRoster(env),
    readAlerts(env),
  ]);
  return statusReport(snapshot, traffic, roster, alerts, config);
}

ops.get('/status', async (c) => c.json(await currentReport(c.env, c.get('config'))));

ops.get('/metrics', async (c) => {
  const [snapshot, traffic] = await Promise.all([readBoard(isolate.health, c.env), readTraffic(c.env)]);
  return c.body(metricsText(snapshot, traffic), 200, { 'content-type': METRICS_CONTENT_TYPE });
});

/** The forms a page offers: none where a browser's login only reads (no ADMIN_HOST: admin/auth.ts). */
async function formsOf(c: Context<AppEnv>): Promise<PageForms> {
  if (!c.get('config').admin.host) return undefined;
  return { token: await formTokenFor(c.env.ADMIN_TOKEN as string, Date.now()), roster: !!c.env.ROSTER_TOKEN };
}

ops.get('/roster', async (c) => {
  const [snapshot, roster, forms] = await Promise.all([
    readBoard(isolate.health, c.env),
    readRoster(c.env),
    formsOf(c),
  ]);
  return c.html(<RosterPage snapshot={snapshot} roster={roster} forms={forms} />);
});

ops.get('/', async (c) => {
  const [report, forms] = await Promise.all([currentReport(c.env, c.get('config')), formsOf(c)]);
  return c.html(<StatusPage report={report} forms={forms} />);
});

/** Longest drain or removal deadline: a day. */
const MAX_DEADLINE_S = 86_400;

/**
 * A deadline (epoch ms), from `deadline` in seconds, as a query parameter or a form field: a drain's
 * (a node still draining then is disabled) or a removal's (a node not quiet by then is removed all
 * the same). Undefined without one; a 400 for a bad one, or when the action takes none (`takesOne`).
 */
async function deadlineOf(request: HonoRequest, takesOne: boolean): Promise<number | undefined> {
  const raw = request.query('deadline') ?? (await formOf(request)).deadline;
  if (raw === undefined) return undefined;
  const seconds = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!takesOne || !(seconds >= 1 && seconds <= MAX_DEADLINE_S)) {
    throw new EdgeError(
      400,
      'bad_deadline',
      `deadline: only a drain or a removal once quiet takes one, in whole seconds from 1 to ${MAX_DEADLINE_S}`,
    );
  }
  return Date.now() + seconds * 1000;
}

/** A roster entry as JSON (PUT), or from the status page's form (numbers given as digits). */
async function entryOf(request: HonoRequest): Promise<unknown> {
  if (isForm(request)) {
    const form = await request.parseBody();
    const entry: Record<string, unknown> = {};
    for (const key of ['url', 'weight', 'via', 'maxSessions']) {
      const value = form[key];
      if (typeof value !== 'string' || value === '') continue;
      entry[key] =
        key === 'weight' || key === 'maxSessions' ? (/^\d+$/.test(value) ? Number(value) : value) : value;
    }
    return entry;
  }
  try {
    return await request.json();
  } catch {
    throw new EdgeError(400, 'invalid_node', 'the body is not JSON', {
      problems: ['body: must be a JSON object { url, weight?, via?, maxSessions? }'],
    });
  }
}

/**
 * Makes a roster change at the board, logs it and answers it (the page's form goes back to the page).
 * A removal (`entry` null) without `force` takes a `deadline` (deadlineOf).
 */
async function answerRosterChange(
  c: Context<AppEnv>,
  id: string,
  entry: unknown,
  force: boolean,
): Promise<Response> {
  const by = c.get('admin').who;
  const deadline = entry === null ? await deadlineOf(c.req, !force) : undefined;
  const change = entry as RosterEntry | null;
  const result = await changeRoster(isolate.health, c.env, id, change, force, by, deadline);
  if ('unknown' in result) throw new EdgeError(404, 'unknown_node', `no node "${id}" in the roster`);
  if ('problems' in result) {
    throw new EdgeError(400, 'invalid_node', 'the roster change was refused; nothing changed', {
      problems: result.problems,
    });
  }
  const action = entry === null ? (force ? 'remove now' : 'remove when quiet') : 'set';
  logEvent('admin', {
    action,
    node: id,
    by,
    requestId: c.get('requestId'),
    ...(entry ? { entry } : {}),
    ...(deadline ? { deadline } : {}),
  });
  if (isForm(c.req)) return c.redirect('/__lb/', 303);
  const node = result.snapshot.nodes.find((each) => each.id === id);
  return c.json(
    node ? { ...node, state: stateOf(node) } : { id, removed: true },
    entry === null && !force ? 202 : 200,
  );
}

ops.put('/nodes/:id', roster, async (c) =>
  answerRosterChange(c, c.req.param('id'), await entryOf(c.req), false),
);

ops.delete('/nodes/:id', roster, async (c) =>
  answerRosterChange(c, c.req.param('id'), null, c.req.query('force') === '1'),
);

ops.post('/roster', roster, async (c) => {
  const { id } = await formOf(c.req);
  return answerRosterChange(c, typeof id === 'string' ? id : '', await entryOf(c.req), false);
});

ops.post('/roster/reset', roster, async (c) => {
  const by = c.get('admin').who;
  const snapshot = await resetRoster(isolate.health, c.env, by);
  logEvent('admin', { action: 'reset roster', by, requestId: c.get('requestId') });
  if (isForm(c.req)) return c.redirect('/__lb/', 303);
  return c.json({ nodes: snapshot.nodes.map((node) => node.id) });
});

ops.post('/nodes/:id/remove', roster, async (c) => {
  const { force } = await formOf(c.req);
  return answerRosterChange(c, c.req.param('id'), null, force === '1' || c.req.query('force') === '1');
});

ops.post('/nodes/:id/:action', operate, async (c) => {
  const { id, action } = c.req.param();
  const mode = Object.hasOwn(MODES, action) ? MODES[action] : undefined;
  if (!mode)
    throw new EdgeError(404, 'unknown_action', `no action "${action}": use drain, disable or enable`);
  const deadline = await deadlineOf(c.req, mode === 'draining');
  const snapshot = await setNodeMode(isolate.health, c.env, id, mode, deadline);
  const node = snapshot?.nodes.find((each) => each.id === id);
  if (!node) throw new EdgeError(404, 'unknown_node', `no node "${id}" in the roster`);
  logEvent('admin', {
    action,
    node: id,
    by: c.get('admin').who,
    requestId: c.get('requestId'),
    ...(deadline ? { deadline } : {}),
  });
  // A form on the status page comes back to the page; the API gets the node's new status.
  if (isForm(c.req)) return c.redirect('/__lb/', 303);
  return c.json({ ...node, state: stateOf(node) });
});

ops.all('*', () => {
  throw new EdgeError(404, 'not_found', 'no such operations endpoint');
});
