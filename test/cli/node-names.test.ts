/**
 * Issue 23, item 3: a node argument is an id or a unique name. An id is used as it is (no request);
 * a name is looked up once with GET /nodes?name=; none: 66; several: 64 listing the candidates.
 */
import { describe, expect, it } from 'vitest';
import { parseClientArgs } from '../../src/cli/args.js';
import type { Api, Reply } from '../../src/cli/client.js';
import { CliError, reportFailure } from '../../src/cli/errors.js';
import { resolveNode, withNodeIds } from '../../src/cli/node-names.js';
import { nodeView } from './fake-api.js';

function api(nodes: unknown[]) {
  const calls: string[] = [];
  const a: Api = {
    async call(method, path): Promise<Reply> {
      calls.push(`${method} ${path}`);
      const name = new URL(path, 'http://x').searchParams.get('name');
      return { status: 200, body: nodes.filter((n) => (n as { name: string }).name === name) };
    },
    close() {},
  };
  return { api: a, calls };
}

const A = { ...nodeView(1), name: 'render 1' };
const B = { ...nodeView(2), name: 'twin', state: 'offline', district: '', venue: '' };
const C = { ...nodeView(3), name: 'twin', last_seen: null };

describe('node names in the CLI', () => {
  it('when the argument is a node id, then it is used without a request', async () => {
    const { api: a, calls } = api([A]);
    expect(await resolveNode(a, A.id)).toBe(A.id);
    expect(calls).toEqual([]);
  });

  it('when one node has the name, then its id, from one lookup with the name encoded', async () => {
    const { api: a, calls } = api([A, B, C]);
    expect(await resolveNode(a, 'render 1')).toBe(A.id);
    expect(calls).toEqual(['GET /nodes?name=render%201']);
  });

  it('when no node has it, then 66; when several do, then 64 and each candidate on its own line', async () => {
    const { api: a } = api([A, B, C]);
    await expect(resolveNode(a, 'ghost')).rejects.toMatchObject({ exitCode: 66 });
    const e = (await resolveNode(a, 'twin').catch((x: unknown) => x)) as CliError;
    expect(e.exitCode).toBe(64);
    let stderr = '';
    expect(reportFailure('exec', e, { write: (s: string) => (stderr += s) })).toBe(64);
    expect(stderr).toBe(
      'hydracluster: 2 nodes are named "twin"; give one of their ids:\n' +
        `  ${B.id}  body  offline  -/-  last seen 2026-01-01T00:00:00.000Z\n` +
        `  ${C.id}  body  online  bxl1/hall  last seen never\n`,
    );
  });

  it('when a command names nodes in its arguments, then each is resolved: exec, queue, nodes, audit, fleet-exec ids', async () => {
    const { api: a } = api([A]);
    const ids = async (cmd: string, argv: string[]) => withNodeIds(parseClientArgs(cmd, argv).command, a);
    expect(await ids('exec', ['render 1', 'hostname'])).toMatchObject({ nodeId: A.id });
    expect(await ids('queue', ['render 1'])).toMatchObject({ nodeId: A.id });
    expect(await ids('nodes', ['set', 'render 1', 'owner=x'])).toMatchObject({ id: A.id });
    expect(await ids('audit', ['--node', 'render 1'])).toMatchObject({ node: A.id });
    expect(await ids('exec', ['--where', 'id=render 1', 'hostname'])).toMatchObject({ target: { ids: [A.id] } });
    expect(await ids('nodes', ['list'])).toMatchObject({ action: 'list' });
  });
});
