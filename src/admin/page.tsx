/**
 * The status page: server-rendered, no build step, no script. One card per node with its state,
 * latency, last check and recent transitions, its traffic (admin/traffic-card.tsx), and the forms
 * that drain, disable or enable it through the admin API. It reloads itself every few seconds.
 */
import type { FC } from 'hono/jsx';
import { type PendingRemoval, pendingRemovalOf } from '../board/board-roster';
import { FORM_TOKEN_FIELD, type PageForms } from './form-token';
import type { NodeState } from './node-state';
import type { NodeReport, StatusReport } from './status';
import { TrafficFigures } from './traffic-card';

const REFRESH_S = 5;

const COLORS: Record<NodeState, string> = {
  up: '#1a7f37',
  draining: '#9a6700',
  down: '#cf222e',
  disabled: '#57606a',
};

export const STYLE = `
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 12px; max-width: 960px; color: #1f2328; }
  h1 { font-size: 20px; margin: 4px 0 12px; }
  .summary { color: #57606a; margin-bottom: 12px; }
  .nodes { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); }
  .node { border: 1px solid #d0d7de; border-radius: 8px; padding: 12px; }
  .node h2 { font-size: 17px; margin: 0 0 6px; display: flex; justify-content: space-between; gap: 8px; }
  .state { color: #fff; border-radius: 12px; padding: 1px 10px; font-size: 13px; text-transform: uppercase; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 6px 0; font-size: 14px; }
  dt { color: #57606a; } dd { margin: 0; overflow-wrap: anywhere; }
  ol { margin: 6px 0; padding-left: 18px; font-size: 13px; color: #57606a; }
  .actions { display: flex; gap: 6px; flex-wrap: wrap; margin-top: 8px; }
  button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa; }
  button:disabled { opacity: 0.45; }
  footer { color: #57606a; font-size: 13px; margin-top: 16px; }
  .traffic { border-top: 1px solid #d0d7de; padding-top: 6px; }
  .history { margin: 4px 0; } .history svg { display: block; border-radius: 4px; }
  figcaption { font-size: 12px; color: #57606a; }
  .drain { border-radius: 6px; padding: 6px 8px; font-size: 14px; margin: 6px 0; }
  .drain.busy { background: #fff8c5; } .drain.quiet { background: #dafbe1; }
`;

function ago(at: number | null, now: number): string {
  if (at === null) return 'never';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

/**
 * A removal waiting for its node to be quiet, and when it is forced. The roster page shows it too;
 * `data-removal-deadline` carries the epoch ms.
 */
export const RemovalPending: FC<{ removal: PendingRemoval; now: number }> = ({ removal, now }) => {
  const minutes = Math.max(0, Math.ceil((removal.deadline - now) / 60_000));
  return (
    <span data-removal-deadline={String(removal.deadline)}>
      removal pending: once quiet, forced at {new Date(removal.deadline).toISOString()} (in {minutes} min)
    </span>
  );
};

/** The page's drain with a deadline: a node still draining after it is disabled. */
const DRAIN_DEADLINE_S = 900;

const ACTIONS = [
  { action: 'drain', label: 'Drain', mode: 'draining', deadline: undefined },
  {
    action: 'drain',
    label: `Disable in ${DRAIN_DEADLINE_S / 60} min`,
    mode: 'draining',
    deadline: DRAIN_DEADLINE_S,
  },
  { action: 'disable', label: 'Disable', mode: 'disabled', deadline: undefined },
  { action: 'enable', label: 'Enable', mode: 'active', deadline: undefined },
] as const;

const NodeCard: FC<{
  node: NodeReport;
  removal: PendingRemoval | undefined;
  now: number;
  bucketMs: number;
  forms: PageForms;
}> = ({ node, removal, now, bucketMs, forms }) => (
  <section class="node" data-node={node.id} data-state={node.state}>
    <h2>
      <span>{node.id}</span>
      <span class="state" style={`background:${COLORS[node.state]}`}>
        {node.state}
      </span>
    </h2>
    <dl>
      <dt>URL</dt>
      <dd>{node.origin}</dd>
      {node.via && (
        <>
          <dt>via</dt>
          <dd>{node.via} (Workers VPC)</dd>
        </>
      )}
      {removal && (
        <>
          <dt>roster</dt>
          <dd>
            <RemovalPending removal={removal} now={now} />
          </dd>
        </>
      )}
      <dt>weight</dt>
      <dd>
        {node.weight}
        {node.slowStartShare < 1 && ` (slow start: ${Math.round(node.slowStartShare * 100)} % of it)`}
      </dd>
      <dt>open sessions</dt>
      <dd data-full={node.full ? 'true' : undefined}>
        {node.openSessions ?? 0}
        {node.maxSessions != null && ` of ${node.maxSessions}`}
        {node.full && ' (full: new sessions go elsewhere)'}
      </dd>
      <dt>health</dt>
      <dd>
        {node.up ? 'up' : 'down'} ({node.passes} passed, {node.failures} failed in a row)
      </dd>
      <dt>latency</dt>
      <dd>{node.latencyMs === null ? '-' : `${node.latencyMs} ms`}</dd>
      <dt>last check</dt>
      <dd>{ago(node.lastCheckAt, now)}</dd>
      {node.lastError && (
        <>
          <dt>last error</dt>
          <dd>{node.lastError}</dd>
        </>
      )}
    </dl>
    {node.traffic && (
      <TrafficFigures
        traffic={node.traffic}
        bucketMs={bucketMs}
        draining={node.state === 'draining' || node.state === 'disabled'}
        deadline={node.drainDeadline}
        now={now}
      />
    )}
    {node.transitions.length > 0 && (
      <ol>
        {node.transitions.slice(0, 5).map((transition) => (
          <li>
            {ago(transition.at, now)}: {transition.to} ({transition.cause})
          </li>
        ))}
      </ol>
    )}
    {forms && (
      <div class="actions">
        {ACTIONS.map(({ action, label, mode, deadline }) => (
          <form method="post" action={`/__lb/nodes/${encodeURIComponent(node.id)}/${action}`}>
            <input type="hidden" name={FORM_TOKEN_FIELD} value={forms.token} />
            {deadline && <input type="hidden" name="deadline" value={String(deadline)} />}
            <button type="submit" name="action" value={action} disabled={node.mode === mode}>
              {label}
            </button>
          </form>
        ))}
      </div>
    )}
  </section>
);

/**
 * Whether the platform reports WebSocket ends: what the first deploy must tell the operator (the
 * gates' tail consumer cannot be tried anywhere but deployed).
 */
const SocketEnds: FC<{ ends: StatusReport['webSocketEnds'] }> = ({ ends }) => (
  <div class="summary" data-figure="websocket-ends" data-verdict={ends.verdict}>
    {ends.verdict === 'reported' &&
      `WebSocket ends reported: ${ends.ended} of ${ends.opened} opened; the counts are the sockets open now.`}
    {ends.verdict === 'not-yet' &&
      `No WebSocket end reported yet (${ends.opened} opened). If sockets have closed, the gates' tail consumer (cobrowse-edge-tail) gets no traces: each socket is counted until it is an hour old.`}
    {ends.verdict === 'no-sockets' && 'No WebSocket opened yet.'}
    {ends.recycled > 0 && ` ${ends.recycled} cut past the backstop or by a retiring gate.`}
  </div>
);

/** The alert webhook's outbox: alerts waiting, and the last deliveries with their outcome. */
const Alerts: FC<{ alerts: StatusReport['alerts']; now: number }> = ({ alerts, now }) => (
  <section class="alerts">
    <h2>Alerts</h2>
    <div class="summary">{alerts.pending} waiting to be delivered</div>
    <ol>
      {alerts.recent.slice(0, 10).map((delivery) => (
        <li data-outcome={delivery.outcome}>
          {ago(delivery.at, now)}: {delivery.outcome} after {delivery.attempts}{' '}
          {delivery.attempts === 1 ? 'try' : 'tries'}: {delivery.alert.event}
          {delivery.alert.node ? ` ${delivery.alert.node}` : ''}
          {delivery.error ? ` (${delivery.error})` : ''}
        </li>
      ))}
    </ol>
  </section>
);

/** Why the page has no buttons here, and how to get them (admin/auth.ts). */
export const READ_ONLY_NOTE =
  'Read-only on this host: visitors\u2019 pages share its origin. Set ADMIN_HOST to act from the page on a host of its own, or use the API with Authorization: Bearer.';

/** `forms`: what the page's forms carry, or undefined when it only reads here (admin/form-token.ts). */
export const StatusPage: FC<{ report: StatusReport; forms: PageForms }> = ({ report, forms }) => {
  const counts = new Map<NodeState, number>();
  for (const node of report.nodes) counts.set(node.state, (counts.get(node.state) ?? 0) + 1);
  const summary = [...counts].map(([state, count]) => `${count} ${state}`).join(', ');
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="refresh" content={String(REFRESH_S)} />
        <title>cobrowse-edge status</title>
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <h1>cobrowse-edge</h1>
        <div class="summary">
          {report.nodes.length} nodes: {summary}. <a href="/__lb/roster">Add, edit or remove nodes</a>
        </div>
        {!forms && (
          <div class="summary" data-figure="read-only">
            {READ_ONLY_NOTE}
          </div>
        )}
        <SocketEnds ends={report.webSocketEnds} />
        <div class="nodes">
          {report.nodes.map((node) => (
            <NodeCard
              node={node}
              removal={pendingRemovalOf(report.roster, node.id)}
              now={report.takenAt}
              bucketMs={report.counting.bucketMs}
              forms={forms}
            />
          ))}
        </div>
        {report.alerts.configured && <Alerts alerts={report.alerts} now={report.takenAt} />}
        <footer>
          Checks every {report.config.health.intervalMs} ms of {report.config.health.path}; down after{' '}
          {report.config.health.fall} failures, up after {report.config.health.rise} passes. Reloads every{' '}
          {REFRESH_S} s.
        </footer>
      </body>
    </html>
  );
};
