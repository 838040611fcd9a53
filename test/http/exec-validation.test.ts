import { describe, expect, it } from 'vitest';
import { execFixture, poll, submitOk } from './exec-helpers.js';

const NOT_JSON = '{"command": "echo';

describe('exec endpoints refuse bad input with a 400 naming the field', () => {
  it('when POST /nodes/{id}/exec gets bad bodies, then each is a 400 naming the field, never a 500', async () => {
    const { h, node } = await execFixture();
    const path = `/nodes/${node.id}/exec`;
    const raw = await h.req('POST', path, { raw: NOT_JSON });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: 'invalid_json', message: 'the body is not valid JSON' });
    const cases: Array<[unknown, string]> = [
      [{}, 'command'],
      [{ command: 42 }, 'command'],
      [{ command: '' }, 'command'],
      [{ command: '   ' }, 'command'],
      [{ command: 'x'.repeat(256 * 1024 + 1) }, 'command'],
      [{ command: 'ok', timeout_s: '60' }, 'timeout_s'],
      [{ command: 'ok', timeout_s: 0 }, 'timeout_s'],
      [{ command: 'ok', timeout_s: 1.5 }, 'timeout_s'],
      [{ command: 'ok', timeout_s: 86_401 }, 'timeout_s'],
      [{ command: 'ok', interpreter: 'zsh' }, 'interpreter'],
      [[], 'body'],
      ['just a string', 'body'],
    ];
    for (const [body, field] of cases) {
      const r = await h.json('POST', path, { body });
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.message).toContain(field);
    }
    expect((await h.json('GET', path)).body.depth).toBe(0);
  });

  it('when POST /body/exec/result gets bad bodies, then each is a 400 naming the field', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'echo hi');
    await poll(h, node.token);
    const raw = await h.req('POST', '/body/exec/result', { token: node.token, raw: NOT_JSON });
    expect(raw.status).toBe(400);
    expect((await raw.json()).error).toBe('invalid_json');
    const cases: Array<[unknown, string]> = [
      [{ exit_code: 0 }, 'id'],
      [{ id }, 'exit_code'],
      [{ id: 7, exit_code: 0 }, 'id'],
      [{ id, exit_code: '0' }, 'exit_code'],
      [{ id, exit_code: 0.5 }, 'exit_code'],
      [{ id, exit_code: 0, stdout: 12 }, 'stdout'],
      [{ id, exit_code: 0, stderr: null }, 'stderr'],
      [{ id, exit_code: 0, timed_out: 'yes' }, 'timed_out'],
      [{ id, exit_code: 0, started_at: 5 }, 'started_at'],
    ];
    for (const [body, field] of cases) {
      const r = await h.json('POST', '/body/exec/result', { token: node.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.message).toContain(field);
    }
    expect((await h.json('GET', `/nodes/${node.id}/exec/${id}/result`)).status).toBe(202);
  });

  it('when GET /body/exec gets a bad wait, then it is a 400 naming wait', async () => {
    const { h, node } = await execFixture();
    for (const wait of ['abc', '31', '-1', '2.5']) {
      const r = await h.json('GET', `/body/exec?wait=${wait}`, { token: node.token });
      expect(r.status, wait).toBe(400);
      expect(r.body.message).toContain('wait');
    }
  });

  it('when a result carries both streams at max_output_bytes, then it is accepted; past max_body_bytes + 2 × max_output_bytes it is a 413', async () => {
    const { h, node } = await execFixture();
    const id = await submitOk(h, node.id, 'cat big');
    await poll(h, node.token);
    const full = 'x'.repeat(1_048_576);
    const ok = await h.json('POST', '/body/exec/result', { token: node.token, body: { id, exit_code: 0, stdout: full, stderr: full } });
    expect(ok.status).toBe(200);
    const huge = 'x'.repeat(3 * 1_048_576 + 1);
    const r = await h.json('POST', '/body/exec/result', { token: node.token, body: { id, exit_code: 0, stdout: huge } });
    expect(r.status).toBe(413);
  });

  it('when ids are unknown, then every exec endpoint answers 404', async () => {
    const { h, node } = await execFixture();
    await submitOk(h, node.id, 'x');
    const ghost = 'exec-00000000000000000000000000';
    expect((await h.json('POST', '/nodes/node-nope/exec', { body: { command: 'x' } })).status).toBe(404);
    expect((await h.json('GET', '/nodes/node-nope/exec')).status).toBe(404);
    expect((await h.json('DELETE', '/nodes/node-nope/exec')).status).toBe(404);
    expect((await h.json('GET', `/nodes/node-nope/exec/${ghost}/result`)).status).toBe(404);
    expect((await h.json('GET', `/nodes/${node.id}/exec/${ghost}/result`)).status).toBe(404);
    expect((await h.json('DELETE', `/nodes/${node.id}/exec/${ghost}`)).status).toBe(404);
    expect((await h.json('POST', '/body/exec/result', { token: node.token, body: { id: ghost, exit_code: 0 } })).status).toBe(404);
  });

  it('when the wrong kind of token is used, then admin endpoints say 401/403 and agent endpoints refuse the admin', async () => {
    const { h, node } = await execFixture();
    expect((await h.json('POST', `/nodes/${node.id}/exec`, { token: null, body: { command: 'x' } })).status).toBe(401);
    expect((await h.json('POST', `/nodes/${node.id}/exec`, { token: 'hcn_bogus', body: { command: 'x' } })).status).toBe(401);
    expect((await h.json('POST', `/nodes/${node.id}/exec`, { token: node.token, body: { command: 'x' } })).status).toBe(403);
    expect((await h.json('DELETE', `/nodes/${node.id}/exec`, { token: node.token })).status).toBe(403);
    expect((await h.json('GET', '/body/exec')).status).toBe(403);
    expect((await h.json('POST', '/body/exec/result', { body: { id: 'exec-x', exit_code: 0 } })).status).toBe(403);
    expect((await h.json('GET', '/body/exec', { token: null })).status).toBe(401);
  });
});
