/**
 * The provisioner on its own, with real bash scripts in a temp folder: check-then-install, forced
 * reinstalls, retry backoff after a failed install, and what the heartbeat reports.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryLogger } from '../../src/log.js';
import { findInterpreters } from '../../src/agent/exec-runner.js';
import { PROVIDER_VERSION_FILE, Provisioner } from '../../src/agent/provisioner.js';
import { pickScripts } from '../../src/agent/role-scripts.js';
import type { ProvisionReply, Recipe } from '../../src/wire/agent.js';
import { tempDir } from './agent-process.js';

const interpreters = findInterpreters(process.env);

function setup() {
  const home = tempDir('hn-prov-');
  const log = memoryLogger();
  const p = new Provisioner({ log, home, interpreters, env: process.env, platform: 'linux', scriptTimeoutMs: 10_000, installRetry: { initialMs: 60_000, maxMs: 60_000 } });
  const plan = (recipes: Record<string, Recipe>): ProvisionReply => ({ roles: Object.keys(recipes), recipes, reprovision: false });
  const count = (file: string) => (existsSync(join(home, file)) ? readFileSync(join(home, file), 'utf8').split('\n').filter(Boolean).length : 0);
  return { home, log, p, plan, count };
}

describe('provisioner', () => {
  it('when a role check passes, then it is applied without running the install; when forced, the install runs anyway', async () => {
    const { home, p, plan, count } = setup();
    const recipe = { bash: `echo x >> '${home}/installs'; touch '${home}/ok'`, check_bash: `test -f '${home}/ok'` };
    expect(p.report()).toEqual({});
    await p.apply(plan({ web: recipe }), false);
    expect(count('installs')).toBe(1);
    await p.apply(plan({ web: recipe }), false);
    expect(count('installs')).toBe(1);
    expect(p.report()).toMatchObject({ roles_applied: ['web'], provider_status: 'running' });
    await p.apply(plan({ web: recipe }), true);
    expect(count('installs')).toBe(2);
  });

  it('when an install fails, then the role is reported failed and not retried before its backoff (but a forced reinstall is)', async () => {
    const { home, p, plan, count, log } = setup();
    const recipe = { bash: `echo x >> '${home}/installs'; echo broken >&2; exit 1`, check_bash: 'exit 1' };
    await p.apply(plan({ bad: recipe }), false);
    expect(p.report()).toMatchObject({ roles_applied: [], provider_status: 'failed' });
    expect(log.lines.find((l) => l.msg === 'role install script failed')).toMatchObject({ role: 'bad', exit_code: 1, stderr_tail: 'broken\n' });
    await p.apply(plan({ bad: recipe }), false);
    expect(count('installs')).toBe(1);
    await p.apply(plan({ bad: recipe }), true);
    expect(count('installs')).toBe(2);
  });

  it('when a role is unassigned, then it leaves roles_applied; a recipe without a check counts after its install succeeds', async () => {
    const { home, p, plan, count } = setup();
    const noCheck = { bash: `echo x >> '${home}/installs'` };
    const checkOnly = { check_bash: 'true' };
    await p.apply(plan({ a: noCheck, b: checkOnly }), false);
    await p.apply(plan({ a: noCheck, b: checkOnly }), false);
    expect(count('installs')).toBe(1);
    expect(p.report().roles_applied?.sort()).toEqual(['a', 'b']);
    await p.apply(plan({ b: checkOnly }), false);
    expect(p.report().roles_applied).toEqual(['b']);
  });

  it('when an install script writes provider_version.txt, then the heartbeat reports that version', async () => {
    const { home, p, plan } = setup();
    await p.apply(plan({ lark: { bash: `echo 3.2.1 > "$HYDRANODE_HOME/${PROVIDER_VERSION_FILE}"`, check_bash: `test -f '${home}/${PROVIDER_VERSION_FILE}'` } }), false);
    expect(p.report()).toMatchObject({ roles_applied: ['lark'], provider_version: '3.2.1' });
  });

  it('when a recipe only has PowerShell scripts and the host has no PowerShell, then it is not applicable here', () => {
    expect(pickScripts({ powershell: 'x', check_powershell: 'y' }, { bash: '/bin/bash', powershell: null, cmd: null }, 'linux')).toBeNull();
    expect(pickScripts({ powershell: 'x', bash: 'b' }, { bash: '/bin/bash', powershell: '/usr/bin/pwsh', cmd: null }, 'win32')).toEqual({ interpreter: 'powershell', install: 'x', check: undefined });
  });

  it('when the server names which roles have a provider, then provider_status speaks only for those', async () => {
    const { home, p } = setup();
    const good = { bash: `touch '${home}/lark'`, check_bash: `test -f '${home}/lark'` };
    const broken = { bash: 'exit 1', check_bash: 'exit 1' };
    const recipes = { 'render-node': good, extra: broken };
    await p.apply({ roles: ['render-node', 'extra'], recipes, providers: { 'render-node': 'larkxr' }, reprovision: false }, false);
    expect(p.report()).toMatchObject({ roles_applied: ['render-node'], provider_status: 'running' });
    // Without the providers map (an older server), every role counts: the broken one makes it failed.
    await p.apply({ roles: ['render-node', 'extra'], recipes, reprovision: false }, false);
    expect(p.report().provider_status).toBe('failed');
    // No assigned role has a provider: nothing to report.
    await p.apply({ roles: ['extra'], recipes, providers: {}, reprovision: false }, false);
    expect(p.report().provider_status).toBeUndefined();
  });

  it('when a role names neither a package nor scripts, then no script runs, it is not applied, and provision_errors says what to set', async () => {
    const { p, plan, log } = setup();
    await p.apply({ ...plan({ 'render-node': {} }), providers: { 'render-node': 'larkxr' } }, false);
    const r = p.report();
    expect(r.roles_applied).toEqual([]);
    expect(r.provider_status).toBe('failed');
    expect(r.provision_errors?.['render-node']).toMatchObject({ step: 'configure', retry_at: null });
    expect(r.provision_errors?.['render-node']?.message).toMatch(/^not configured: set roles\.render-node\.package .* or roles\.render-node\.recipe .* in the server's config\.yaml$/);
    expect(log.lines.some((l) => l.msg === 'role install script failed' || l.msg === 'role install script finished')).toBe(false);
  });

  it('when an install fails, then provision_errors carries the step, exit, output tail and next try; it clears once the role applies', async () => {
    const { home, p, plan } = setup();
    const broken = { bash: `echo one; echo two >&2; exit 3`, check_bash: `test -f '${home}/ok'` };
    await p.apply(plan({ web: broken }), false);
    const e = p.report().provision_errors?.web;
    expect(e).toMatchObject({ step: 'install', message: 'install script exited 3', output_tail: 'one\ntwo' });
    expect(Date.parse(e!.retry_at!)).toBeGreaterThan(Date.parse(e!.at));
    await p.apply(plan({ web: { ...broken, bash: `touch '${home}/ok'` } }), false);
    expect(p.report()).toMatchObject({ roles_applied: ['web'], provision_errors: {} });
  });

  it('when a failed role\u2019s recipe changes, then it is tried again at once instead of after its backoff (a fresh request)', async () => {
    const { home, p, plan, count } = setup();
    const failing = (n: number) => ({ bash: `echo ${n} >> '${home}/installs'; exit 1`, check_bash: 'exit 1' });
    await p.apply(plan({ web: failing(1) }), false);
    await p.apply(plan({ web: failing(1) }), false);
    expect(count('installs')).toBe(1); // held by the 60 s backoff
    await p.apply(plan({ web: failing(2) }), false);
    expect(count('installs')).toBe(2);
  });
});
