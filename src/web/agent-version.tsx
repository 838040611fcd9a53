/**
 * The agent's version against the server's release (docs/api.md#agent-self-update), as the dashboard and the node
 * page show it: a mark on a node whose agent reports another version than the release manifest
 * the server hands out now (read at each render, like GET /downloads/manifest.json), and the
 * self-update's last report.
 */
import type { NodeView } from '../actors/node/record.js';
import { readReleaseManifest, releaseDirs } from '../persist/releases.js';

/** The version of the release `/downloads/` serves now, or null when there is none. */
export async function releaseVersion(home: string): Promise<string | null> {
  return (await readReleaseManifest(releaseDirs(home)))?.version ?? null;
}

/** The node's agent reports a version, and it is not the release's. */
export const offRelease = (n: NodeView, release: string | null): boolean =>
  release !== null && n.agent_version !== null && n.agent_version !== release;

/** A table cell: the version, marked when it is not the release. */
export function AgentVersion({ n, release }: { n: NodeView; release: string | null }) {
  if (!offRelease(n, release)) return <>{n.agent_version ?? '—'}</>;
  return (
    <>
      {n.agent_version} <span class="mark" title={`The server's agent release is ${release}: Update agent on the node's page`}>not {release}</span>
    </>
  );
}

/** The self-update's last step in one line, or null when the agent never reported one. */
export function updateLine(n: NodeView): string | null {
  const u = n.agent_update;
  return u ? `${u.state}${u.target_version ? ` (${u.target_version})` : ''} at ${u.at}: ${u.message}` : null;
}
