/**
 * `hydranode install` beyond registering: the service it installs, a reinstall with no token (the
 * runbook's manual update), and enrolling from enroll.yaml. In-process, with the service's writes
 * and programs redirected (no real systemctl, nothing under /etc).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { install } from '../../src/agent/install.js';
import type { RunProgram } from '../../src/agent/service.js';
import { makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { enroll, stop, tempDir } from './agent-process.js';

function setup() {
  const dir = tempDir('hn-inst-');
  const calls: string[][] = [];
  const lines: string[] = [];
  const run: RunProgram = async (file, args) => (calls.push([file, ...args]), { code: 0, output: '' });
  const unitPath = join(dir, 'hydranode.service');
  const opts = (extra: Partial<Parameters<typeof install>[0]> = {}): Parameters<typeof install>[0] => ({
    home: join(dir, 'home'),
    service: { program: ['/usr/local/bin/hydranode'], home: join(dir, 'home') },
    serviceDeps: { platform: 'linux', run, unitPath, systemdRunningDir: dir },
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
    ...extra,
  });
  return { dir, calls, lines, unitPath, opts };
}

describe('hydranode install and the service', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(makeHome());
  });
  afterAll(async () => {
    if (server) await stop(server.child);
  });

  it('when a token is given, then it registers, writes the unit and enables and starts the service', async () => {
    const s = setup();
    const e = await enroll(server.url, 'svc-node');
    expect(await install(s.opts({ server: server.url, enrollToken: e.enrollment_token }))).toBe(0);
    expect(parse(readFileSync(join(s.dir, 'home/config.yaml'), 'utf8')).node_id).toBe(e.node_id);
    expect(readFileSync(s.unitPath, 'utf8')).toContain(`ExecStart=/usr/local/bin/hydranode run --home ${join(s.dir, 'home')}`);
    expect(s.calls.map((c) => c.join(' '))).toEqual(['systemctl daemon-reload', 'systemctl enable hydranode', 'systemctl restart hydranode']);
  });

  it('when no token is given and a config exists, then the identity is kept and only the service is (re)installed', async () => {
    const s = setup();
    const e = await enroll(server.url, 'svc-again');
    expect(await install(s.opts({ server: server.url, enrollToken: e.enrollment_token, service: null }))).toBe(0);
    expect(existsSync(s.unitPath)).toBe(false);
    const before = readFileSync(join(s.dir, 'home/config.yaml'), 'utf8');
    expect(await install(s.opts())).toBe(0);
    expect(readFileSync(join(s.dir, 'home/config.yaml'), 'utf8')).toBe(before);
    expect(existsSync(s.unitPath)).toBe(true);
    expect(s.lines.join('\n')).toContain('exists: keeping this node');
    expect(s.calls).toHaveLength(3);
  });

  it('when no token and no config are there but enroll.yaml is, then it enrolls from that file', async () => {
    const s = setup();
    const e = await enroll(server.url, 'svc-file');
    const beside = tempDir('hn-beside-');
    writeFileSync(join(beside, 'enroll.yaml'), `server: ${server.url}\ntoken: ${e.enrollment_token}\n`);
    expect(await install(s.opts({ enrollDirs: [beside], service: null }))).toBe(0);
    expect(parse(readFileSync(join(s.dir, 'home/config.yaml'), 'utf8')).node_id).toBe(e.node_id);
    expect(s.lines.join('\n')).toContain(`enrolling from ${join(beside, 'enroll.yaml')}`);
  });

  it('when there is no token, no config and no enroll.yaml, then it exits 64 saying what is missing', async () => {
    const s = setup();
    expect(await install(s.opts({ enrollDirs: [tempDir('hn-none-')] }))).toBe(64);
    expect(s.lines.join('\n')).toMatch(/--server and --enroll-token are required: .*config.yaml does not exist and no enroll.yaml was found/);
    expect(s.calls).toEqual([]);
  });
});
