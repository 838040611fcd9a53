/**
 * A node's `provision_errors` (docs/api.md#providers) on the pages: per role the failed step, the sentence,
 * when, the next try and the output's tail. Every string is escaped by hono/jsx like any other.
 */
import type { NodeView } from '../actors/node/record.js';

/** The dashboard's mark: the roles that failed, named in its title. */
export function ProvisionMark({ n }: { n: NodeView }) {
  const roles = Object.keys(n.provision_errors);
  if (roles.length === 0) return null;
  const title = roles.map((r) => `${r}: ${n.provision_errors[r]!.message}`).join('\n');
  return <span class="mark" title={title}>provision error</span>;
}

/** The node page's section body. */
export function ProvisionErrors({ n }: { n: NodeView }) {
  const entries = Object.entries(n.provision_errors);
  if (entries.length === 0) return <p class="muted" id="provision-errors">No provisioning error.</p>;
  return (
    <div id="provision-errors">
      {entries.map(([role, e]) => (
        <div class="provision-error" data-role={role}>
          <p>
            <code>{role}</code> — {e.step}: {e.message}
          </p>
          <p class="muted">at {e.at}{e.retry_at ? `; next try at ${e.retry_at}` : ''}</p>
          {e.output_tail ? <pre>{e.output_tail}</pre> : null}
        </div>
      ))}
    </div>
  );
}
