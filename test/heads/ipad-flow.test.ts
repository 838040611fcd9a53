/**
 * The iPad flow end to end on the real server process (runbook "iPad fleet enrollment QR"):
 * enroll-qr → POST /heads with its token → listed online → PUT streaming with diagnostics → the
 * listing shows it; then kill -9 and a restart keep the head, its assignment and its allowed
 * experiences (acknowledged admin changes are on disk before their 2xx).
 */
import { describe, expect, it } from 'vitest';
import { call, makeHome, startServerProcess } from '../support/process.js';

describe('iPad enrollment flow', () => {
  it('when an iPad registers from the QR payload and reports, then it is listed, and kill -9 keeps it with its assignment and allow-list', async () => {
    // No public_url: the server advertises the address it serves, which the QR then carries.
    const home = makeHome((d) => delete d.server.public_url);
    let srv = await startServerProcess(home);
    try {
      const qr = await call(srv.url, 'GET', '/enroll-qr');
      expect(qr.status).toBe(200);
      expect(qr.body.server_url).toBe(srv.url);
      const reg = await call(qr.body.server_url, 'POST', '/heads', { name: 'ipad-lobby', district: 'bxl1', venue: 'cloud-seven' }, qr.body.enrollment_token);
      expect(reg.status).toBe(201);
      const { head_id: id, token } = reg.body;

      const listed = await call(srv.url, 'GET', '/heads');
      expect(listed.body).toEqual([expect.objectContaining({ id, name: 'ipad-lobby', kind: 'ipad', node_status: 'online', status: 'idle' })]);

      const put = await call(srv.url, 'PUT', `/heads/${id}`, { status: 'streaming', diagnostics: { app: 'moonlight', routing: 'lan' } }, token);
      expect(put.status).toBe(200);
      const shown = (await call(srv.url, 'GET', '/heads')).body[0];
      expect(shown).toMatchObject({ status: 'streaming', node_status: 'online', diagnostics: { app: 'moonlight', routing: 'lan' } });

      const body = (await call(srv.url, 'POST', '/enrollments', { name: 'render-1' })).body.node_id;
      expect((await call(srv.url, 'POST', `/nodes/${id}/head-assignment`, { body_id: body, app_id: 'Desktop' })).status).toBe(200);
      expect((await call(srv.url, 'POST', `/nodes/${id}/allowed-experiences`, { experiences: ['mercator-talks'] })).status).toBe(200);

      srv.child.kill('SIGKILL');
      await srv.exited;
      srv = await startServerProcess(home);

      const again = await call(srv.url, 'GET', `/heads/${id}`, undefined, token);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        id, kind: 'ipad', name: 'ipad-lobby', district: 'bxl1', venue: 'cloud-seven', node_status: 'online',
        body_id: body, assigned_body_name: 'render-1', app_id: 'Desktop', allowed_experiences: ['mercator-talks'],
      });
      const actors = await call(srv.url, 'GET', '/debug/actors?kind=head');
      expect(actors.body.map((a: { id: string }) => a.id)).toEqual([`${id}/head`]);
    } finally {
      srv.child.kill('SIGKILL');
      await srv.exited;
    }
  });
});
