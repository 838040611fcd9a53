/**
 * Real replies against the OpenAPI document (docs/api.md "The OpenAPI document"): the harness
 * drives the real app through the main flows — enrollment, registration, heartbeats, exec submit,
 * poll, result and cancel, fleet exec, heads and their exec channel, shell refusals, audit,
 * config, debug, metrics, downloads, errors — records every reply, and each must carry a
 * documented status, media type and a body that Ajv (JSON Schema 2020-12) accepts.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN, FLEET, harness, testConfig, type Harness } from '../support/harness.js';
import { record, replyChecker, type Recorded } from '../support/openapi.js';

const checker = replyChecker();

async function recordingHarness(): Promise<{ h: Harness; seen: Promise<Recorded>[]; raw: (path: string, headers?: Record<string, string>) => Promise<Response> }> {
  const seen: Promise<Recorded>[] = [];
  const h = await harness({
    config: testConfig((d) => (d.server.exec = { max_queue: 3 })),
    onReply: (method, path, res) => void seen.push(record(method, path, res)),
  });
  // Outside /api/v1 (metrics, downloads): straight to the app, recorded the same way.
  const raw = async (path: string, headers: Record<string, string> = {}) => {
    const res = await h.handle.app.request(path, { headers: { authorization: `Bearer ${ADMIN}`, ...headers } });
    seen.push(record('GET', path, res.clone()));
    return res;
  };
  return { h, seen, raw };
}

/** Every recorded reply's problems (none expected), and the operations the replies came from. */
async function judge(seen: Promise<Recorded>[]): Promise<{ problems: string[]; ops: Set<string> }> {
  const all = await Promise.all(seen);
  const ops = new Set(all.map((r) => `${checker.routeOf(r.method, r.path)?.id} ${r.status}`));
  return { problems: all.flatMap((r) => checker.problems(r)), ops };
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('replies against the OpenAPI document', () => {
  it('when a node is enrolled, registered, heartbeats and runs execs, then every reply matches its documented schema', async () => {
    const { h, seen } = await recordingHarness();
    await h.json('GET', '/health', { token: null });
    await h.json('POST', '/enrollments', { token: null, body: { name: 'anon', os: 'linux' } });
    const node = await h.addNode({ name: 'bxl1-r1', os: 'windows' });
    await h.json('POST', '/register', { token: 'hce_not-a-token', body: {} });
    await h.json('POST', '/enrollments', { body: { name: 7 } });
    await h.req('POST', '/enrollments', { raw: '{not json' });
    await h.heartbeat(node.token, { hostname: 'r1', os: 'linux', roles_applied: [], diagnostics: { gpu: 'ok' } });
    await h.json('GET', '/body/provision', { token: node.token });
    await h.json('GET', '/nodes', { token: node.token });
    await h.json('GET', '/nodes', { token: null });
    await h.json('GET', '/nodes?state=online');
    await h.json('GET', '/nodes?state=dancing');
    await h.json('GET', `/nodes/${node.id}`);
    await h.json('GET', '/nodes/node-nope');
    await h.json('PATCH', `/nodes/${node.id}`, { body: { district: 'bxl1', venue: 'v1' } });
    await h.json('PATCH', `/nodes/${node.id}`, { body: { kind: 'ipad' } });
    await h.json('POST', `/nodes/${node.id}/roles`, { body: { roles: ['plain-role'] } });
    await h.json('POST', `/nodes/${node.id}/roles`, { body: { roles: ['no-such-role'] } });
    await h.json('GET', '/roles');
    await h.heartbeat(node.token, { roles_applied: ['plain-role'] });
    const batch = (await h.json('POST', '/exec', { body: { command: 'uptime', target: { ids: [node.id, 'node-nope'], state: 'online' } } })).body;
    await h.json('POST', '/exec', { body: { command: 'uptime', target: {} } });
    await h.json('POST', '/exec', { body: { command: 'uptime', target: { district: 'nowhere' } } });
    await h.json('GET', `/exec/batches/${batch.batch_id}`);
    await h.json('GET', `/exec/batches/${batch.batch_id}?since=0&offset=1`);
    await h.json('GET', '/exec/batches/batch-nope');

    await h.json('POST', `/nodes/${node.id}/drain`, { body: { drain: true, reason: 'maintenance' } });
    await h.json('POST', `/nodes/${node.id}/update-node`);
    await h.json('POST', `/nodes/${node.id}/update-services`);
    await h.json('POST', `/nodes/${node.id}/reprovision`);
    await h.heartbeat(node.token, { roles_applied: ['plain-role'], ack_flags: ['update_node'], provision_errors: {} });
    await h.json('POST', `/nodes/${node.id}/enrollment`, { body: { ttl_s: 600 } });

    const id = (await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'hostname', timeout_s: 30 } })).body.id;
    await h.json('GET', `/nodes/${node.id}/exec`);
    await h.json('GET', `/nodes/${node.id}/exec/${id}/result`);
    await h.json('GET', `/nodes/${node.id}/exec/${id}/result?wait=99`);
    for (let i = 0; i < 3; i++) await h.json('GET', '/body/exec?wait=0', { token: node.token }); // the batch's, this one, then none
    await h.json('GET', `/body/exec/${id}/cancel?wait=0`, { token: node.token });
    await h.json('GET', `/execs/${id}`);
    await h.json('POST', '/body/exec/result', { token: node.token, body: { id, exit_code: 0, stdout: 'r1\n', started_at: '2026-01-01T00:00:00Z' } });
    await h.json('POST', '/body/exec/result', { token: node.token, body: { id: 'exec-nope', exit_code: 0 } });
    await h.json('GET', `/nodes/${node.id}/exec/${id}/result`);
    await h.json('DELETE', `/nodes/${node.id}/exec/${id}`);
    const queued = (await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'sleep 1' } })).body.id;
    await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'sleep 2' } });
    await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'sleep 3' } });
    await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'sleep 4' } });
    await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: '  ' } });
    await h.json('DELETE', `/nodes/${node.id}/exec/${queued}`);
    const running = (await h.json('POST', `/nodes/${node.id}/exec`, { body: { command: 'sleep 9' } })).body.id;
    await h.json('GET', '/body/exec?wait=0', { token: node.token });
    await h.json('DELETE', `/execs/${running}`);
    await h.json('GET', `/body/exec/${running}/cancel?wait=0`, { token: node.token });
    await h.json('GET', '/execs/exec-nope');
    await h.json('DELETE', `/nodes/${node.id}/exec`);

    await h.json('GET', '/audit?limit=5');
    await h.json('GET', `/audit?node=${node.id}&since=1h`);
    await h.json('GET', '/debug/actors?limit=3');
    await h.json('GET', `/debug/actors/${node.id}/exec`);
    await h.json('GET', '/debug/requests');
    await h.json('POST', '/config/reload');
    await h.json('POST', '/backups', { body: {} });
    await h.json('POST', '/backups', { body: { out: 'relative/path.yaml' } });
    await h.json('DELETE', `/nodes/${node.id}`);
    await h.heartbeat(node.token, {});

    const { problems, ops } = await judge(seen);
    expect(problems).toEqual([]);
    for (const op of ['getHealth 200', 'createEnrollment 201', 'register 200', 'register 401', 'heartbeat 200', 'provisionPoll 200', 'listNodes 200', 'listNodes 403', 'getNode 404', 'updateNode 409', 'setRoles 400', 'reenrollNode 201', 'submitExec 202', 'submitExec 429', 'getExecResult 202', 'getExecResult 200', 'pollExec 200', 'pollExec 204', 'postExecResult 200', 'postExecResult 404', 'cancelExec 409', 'cancelExec 200', 'getExec 200', 'getExec 404', 'cancelExecById 200', 'watchCancel 200', 'watchCancel 204', 'clearExecQueue 200', 'submitFleetExec 202', 'submitFleetExec 200', 'getBatch 200', 'getBatch 404', 'queryAudit 200', 'getActor 200', 'listRequests 200', 'deleteNode 204', 'createBackup 201', 'createBackup 400']) {
      expect(ops, op).toContain(op);
    }
  });

  it('when heads register, report, are assigned and read through their exec channel, then every reply matches', async () => {
    const { h, seen } = await recordingHarness();
    const body = await h.addNode({ name: 'body-1' });
    const ipad = (await h.json('POST', '/heads', { token: FLEET, body: { name: 'ipad-lobby', district: 'bxl1', venue: 'v1' } })).body;
    await h.json('POST', '/heads', { token: ADMIN, body: { name: 'x' } });
    const kiosk = await h.addNode({ name: 'kiosk-1', kind: 'flatscreen' });
    await h.json('GET', '/heads');
    await h.json('GET', `/heads/${ipad.head_id}`, { token: ipad.token });
    await h.json('GET', `/heads/${body.id}`);
    await h.json('PUT', `/heads/${ipad.head_id}`, { token: ipad.token, body: { status: 'streaming', diagnostics: { app: 'moonlight' }, streaming_body_id: body.id } });
    await h.json('GET', '/enroll-qr');
    await h.json('POST', `/nodes/${ipad.head_id}/head-assignment`, { body: { body_id: body.id, app_id: 'Desktop' } });
    await h.json('POST', `/nodes/${ipad.head_id}/head-assignment`, { body: { body_id: 'node-nope' } });
    await h.json('POST', `/nodes/${ipad.head_id}/allowed-experiences`, { body: { experiences: ['mercator-talks'] } });
    await h.json('GET', '/bodies/eligible', { token: ipad.token });
    await h.json('GET', `/bodies/eligible?head_id=${ipad.head_id}`);
    await h.json('GET', `/heads/${ipad.head_id}/experiences`, { token: ipad.token });
    await h.json('POST', `/nodes/${ipad.head_id}/exec`, { body: { command: 'ls' } });
    await h.json('GET', `/heads/${ipad.head_id}/logs`);
    await h.json('GET', `/nodes?kind=head&venue=v1&name=ipad-lobby`);
    await h.json('GET', '/nodes?colour=red');

    const logs = h.json('GET', `/heads/${kiosk.id}/logs`);
    await turns();
    const exec = (await h.json('GET', '/body/exec?wait=0', { token: kiosk.token })).body;
    await h.json('POST', '/body/exec/result', { token: kiosk.token, body: { id: exec.id, exit_code: 0, stdout: 'started\nstreaming\n' } });
    expect((await logs).status).toBe(200);
    const shot = h.json('GET', `/heads/${kiosk.id}/screenshot`);
    await turns();
    h.clock.advance(h.core.live.current.server.heads.screenshot_timeout_s * 1000);
    expect((await shot).status).toBe(504);

    await h.json('GET', `/nodes/${body.id}/shell`);
    await h.json('GET', '/nodes/node-nope/shell');
    await h.json('GET', `/nodes/${body.id}/shell?cols=0`);
    await h.json('GET', '/body/shell/check?wait=0', { token: body.token });
    await h.json('GET', '/body/shell/shell-nope', { token: body.token });
    await h.json('GET', '/openapi.json', { token: null });

    const { problems, ops } = await judge(seen);
    expect(problems).toEqual([]);
    for (const op of ['registerHead 201', 'registerHead 403', 'listHeads 200', 'getHead 200', 'getHead 409', 'reportHead 200', 'getEnrollQr 200', 'assignHead 200', 'assignHead 404', 'setAllowedExperiences 200', 'eligibleBodies 200', 'headExperiences 503', 'submitExec 409', 'headLogs 409', 'listNodes 400', 'headLogs 200', 'headScreenshot 504', 'openShell 400', 'openShell 404', 'shellCheck 200', 'attachShell 404', 'getOpenApi 200']) {
      expect(ops, op).toContain(op);
    }
  });

  it('when /metrics and /downloads are read, then their replies match too', async () => {
    const { seen, raw } = await recordingHarness();
    await raw('/metrics');
    await raw('/metrics', { authorization: 'Bearer nope' });
    const manifest = await raw('/downloads/manifest.json');
    await raw('/downloads/manifest.json', { 'if-none-match': manifest.headers.get('etag') ?? '' });
    await raw('/downloads/no-such-file');
    const { problems, ops } = await judge(seen);
    expect(problems).toEqual([]);
    for (const op of ['getMetrics 200', 'getMetrics 401', 'getReleaseManifest 304', 'download 404']) expect(ops, op).toContain(op);
  });

  it('when a reply does not match its schema, then the checker says so (the check can fail)', () => {
    const bad = checker.problems({ method: 'GET', path: '/api/v1/nodes/node-1', status: 200, media: 'application/json', body: JSON.stringify({ id: 'node-1' }) });
    expect(bad.join('\n')).toMatch(/required property/);
    expect(checker.problems({ method: 'GET', path: '/api/v1/nodes', status: 418, media: 'application/json', body: '[]' }).join('\n')).toMatch(/status not documented/);
    expect(checker.problems({ method: 'GET', path: '/api/v1/nowhere', status: 200, media: 'application/json', body: '{}' }).join('\n')).toMatch(/no documented operation/);
  });
});
