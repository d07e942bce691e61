/**
 * The roster page: the nodes as the board routes them (NODES with the changes made at runtime), a form
 * per node to change its URL, weight or session limit or to remove it, one to add a node, one to go
 * back to NODES, and the last changes (who, when, what). Server-rendered, no script; it does not reload
 * itself, so a form being filled in is not lost. Every form posts to the admin API with the page's
 * form token and the roster token the operator types (admin/auth.ts); where the page only reads, or
 * roster changes are off, it shows the roster without forms.
 */
import type { FC } from 'hono/jsx';
import {
  type PendingRemoval,
  pendingRemovalOf,
  REMOVAL_DEADLINE_S,
  type RosterState,
} from '../board/board-roster';
import type { HealthSnapshot, NodeStatus } from '../wire/health-snapshot';
import { FORM_TOKEN_FIELD, type PageForms, ROSTER_TOKEN_FIELD } from './form-token';
import { READ_ONLY_NOTE, RemovalPending, STYLE } from './page';

const ROSTER_STYLE = `
  form.entry { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 6px; align-items: end; }
  label { display: grid; font-size: 13px; color: #57606a; }
  input { font: inherit; padding: 4px 6px; border: 1px solid #d0d7de; border-radius: 6px; }
  table { border-collapse: collapse; font-size: 13px; } td { padding: 2px 8px 2px 0; vertical-align: top; }
`;

/** What every roster form carries: the page's form token, and the roster token, typed each time. */
const Token: FC<{ formToken: string }> = ({ formToken }) => (
  <>
    <input type="hidden" name={FORM_TOKEN_FIELD} value={formToken} />
    <label>
      roster token
      <input type="password" name={ROSTER_TOKEN_FIELD} required autocomplete="off" />
    </label>
  </>
);

const NO_ROSTER_CHANGES = 'Roster changes are off: no ROSTER_TOKEN is set.';

/** The fields of a roster entry, filled with `node`'s when given. */
const EntryFields: FC<{ node?: NodeStatus }> = ({ node }) => (
  <>
    <label>
      URL
      <input name="url" required value={node?.origin ?? ''} placeholder="http://cb4.example.com:8700" />
    </label>
    <label>
      weight
      <input name="weight" inputmode="numeric" value={String(node?.weight ?? 1)} />
    </label>
    <label>
      max sessions
      <input
        name="maxSessions"
        inputmode="numeric"
        value={node?.maxSessions ? String(node.maxSessions) : ''}
      />
    </label>
    <label>
      via (VPC binding)
      <input name="via" value={node?.via ?? ''} />
    </label>
  </>
);

/** A node's forms: its entry to edit, and its removal, once quiet or now. */
const NodeForms: FC<{ node: NodeStatus; formToken: string }> = ({ node, formToken }) => (
  <>
    <form class="entry" method="post" action="/__lb/roster">
      <Token formToken={formToken} />
      <input type="hidden" name="id" value={node.id} />
      <EntryFields node={node} />
      <button type="submit">Save</button>
    </form>
    <div class="actions">
      <form method="post" action={`/__lb/nodes/${encodeURIComponent(node.id)}/remove`}>
        <Token formToken={formToken} />
        <button type="submit">Remove once quiet (at most {REMOVAL_DEADLINE_S / 60} min)</button>
      </form>
      <form method="post" action={`/__lb/nodes/${encodeURIComponent(node.id)}/remove`}>
        <Token formToken={formToken} />
        <input type="hidden" name="force" value="1" />
        <button type="submit">Remove now (ends its sessions)</button>
      </form>
    </div>
  </>
);

/** A node as the board routes it; with `formToken`, the forms that change it. */
const NodeSection: FC<{
  node: NodeStatus;
  removal: PendingRemoval | undefined;
  now: number;
  formToken: string | undefined;
}> = ({ node, removal, now, formToken }) => (
  <section class="node" id={node.id} data-node={node.id}>
    <h2>
      <span>{node.id}</span>
      {removal && <RemovalPending removal={removal} now={now} />}
    </h2>
    {formToken ? (
      <NodeForms node={node} formToken={formToken} />
    ) : (
      <div>
        {node.origin}, weight {node.weight}
        {node.maxSessions ? `, at most ${node.maxSessions} sessions` : ''}
        {node.via ? `, via ${node.via}` : ''}
      </div>
    )}
  </section>
);

const AddNode: FC<{ formToken: string }> = ({ formToken }) => (
  <section class="node">
    <h2>Add a node</h2>
    <form class="entry" method="post" action="/__lb/roster">
      <Token formToken={formToken} />
      <label>
        id (its cookie's route name)
        <input name="id" required placeholder="CB_Server_4" />
      </label>
      <EntryFields />
      <button type="submit">Add</button>
    </form>
  </section>
);

/** The last roster changes: when, what (and why, for a forced removal), which node, who. */
const RecentChanges: FC<{ changes: RosterState['recentChanges'] }> = ({ changes }) => (
  <table>
    {changes.map((change) => (
      <tr>
        <td>{new Date(change.at).toISOString()}</td>
        <td>{change.cause ? `${change.action} (${change.cause})` : change.action}</td>
        <td>{change.node ?? ''}</td>
        <td>{change.entry ? JSON.stringify(change.entry) : ''}</td>
        <td>{change.by}</td>
      </tr>
    ))}
  </table>
);

export const RosterPage: FC<{ snapshot: HealthSnapshot; roster: RosterState; forms: PageForms }> = ({
  snapshot,
  roster,
  forms,
}) => {
  // Roster forms only where the page may act and roster changes are on.
  const formToken = forms?.roster ? forms.token : undefined;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>cobrowse-edge roster</title>
        <style dangerouslySetInnerHTML={{ __html: STYLE + ROSTER_STYLE }} />
      </head>
      <body>
        <h1>cobrowse-edge roster</h1>
        <div class="summary">
          <a href="/__lb/">Back to the status page</a>. Every router follows a change within seconds.
        </div>
        {!formToken && (
          <div class="summary" data-figure="read-only">
            {forms ? NO_ROSTER_CHANGES : READ_ONLY_NOTE}
          </div>
        )}
        <div class="nodes">
          {snapshot.nodes.map((node) => (
            <NodeSection
              node={node}
              removal={pendingRemovalOf(roster, node.id)}
              now={snapshot.takenAt}
              formToken={formToken}
            />
          ))}
          {formToken && <AddNode formToken={formToken} />}
        </div>
        <h2>Last changes</h2>
        <RecentChanges changes={roster.recentChanges} />
        {formToken && (
          <form method="post" action="/__lb/roster/reset">
            <Token formToken={formToken} />
            <button type="submit">Go back to NODES from wrangler.toml (drops every change above)</button>
          </form>
        )}
      </body>
    </html>
  );
};
