import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecCommand } from '../../src/cli/args.js';
import { CliError, type Api, type Reply } from '../../src/cli/client.js';
import { runExec, type ExecIo } from '../../src/cli/exec.js';

const ID = 'exec-01J0000000000000000000000A';
const PENDING: Reply = { status: 202, body: { status: 'pending', state: 'queued', position: 0 } };
const done = (over: Record<string, unknown> = {}): Reply => ({
  status: 200,
  body: { id: ID, status: 'done', exit_code: 0, stdout: 'out\n', stderr: 'err\n', ...over },
});

/** An API that accepts the submit and then answers result polls from `results` (the last repeats). */
function fakeApi(results: Reply[]) {
  const calls: Array<{ method: string; path: string; body?: unknown }> = [];
  let i = 0;
  const api: Api = {
    async call(method, path, body) {
      calls.push({ method, path, body });
      if (method === 'POST') return { status: 202, body: { id: ID } };
      return results[Math.min(i++, results.length - 1)]!;
    },
  };
  return { api, calls };
}

/** Fake time: sleep() advances now() and records the interval. */
function fakeIo() {
  let t = 0;
  const out = { stdout: '', stderr: '', sleeps: [] as number[] };
  const io: ExecIo = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    now: () => t,
    sleep: async (ms) => {
      out.sleeps.push(ms);
      t += ms;
    },
  };
  return { io, out };
}

const cmd = (over: Partial<ExecCommand> = {}): ExecCommand => ({
  cmd: 'exec', nodeId: 'node-1', source: { kind: 'text', text: 'echo out' }, json: false, async: false, ...over,
});

describe('hydracluster exec (command logic)', () => {
  it('when the result is pending a while, then polls back off from 100 ms to 1 s and the remote output and code come through', async () => {
    const { api, calls } = fakeApi([PENDING, PENDING, PENDING, PENDING, PENDING, PENDING, done({ exit_code: 7 })]);
    const { io, out } = fakeIo();
    expect(await runExec(cmd({ timeoutS: 30 }), api, io)).toBe(7);
    expect(out.sleeps).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(out).toMatchObject({ stdout: 'out\n', stderr: 'err\n' });
    expect(calls[0]).toEqual({ method: 'POST', path: '/nodes/node-1/exec', body: { command: 'echo out', timeout_s: 30, interpreter: undefined } });
    expect(calls[1]!.path).toBe(`/nodes/node-1/exec/${ID}/result`);
  });

  it('when --timeout passes with no result, then it exits 124 with the exec id on stderr', async () => {
    const { api } = fakeApi([PENDING]);
    const { io, out } = fakeIo();
    expect(await runExec(cmd({ timeoutS: 2 }), api, io)).toBe(124);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(ID);
    expect(out.sleeps.reduce((a, b) => a + b, 0)).toBe(3000);
  });

  it('when --json is given, then the result object is printed and the exit is 0 whatever the remote code', async () => {
    const { api } = fakeApi([done({ exit_code: 3 })]);
    const { io, out } = fakeIo();
    expect(await runExec(cmd({ json: true }), api, io)).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ id: ID, exit_code: 3, stdout: 'out\n' });
  });

  it('when --async is given, then only the id is printed and no result is polled', async () => {
    const { api, calls } = fakeApi([PENDING]);
    const { io, out } = fakeIo();
    expect(await runExec(cmd({ async: true }), api, io)).toBe(0);
    expect(out.stdout).toBe(`${ID}\n`);
    expect(calls).toHaveLength(1);
  });

  it('when the exec ends timed_out, cancelled or with an out-of-range code, then the exit is 124, 70 or 1', async () => {
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ status: 'timed_out', exit_code: null }, 124],
      [{ status: 'cancelled', exit_code: null }, 70],
      [{ exit_code: 3221225477 }, 1],
      [{ exit_code: -1 }, 1],
    ];
    for (const [over, code] of cases) {
      const { api } = fakeApi([done(over)]);
      expect(await runExec(cmd(), api, fakeIo().io), JSON.stringify(over)).toBe(code);
    }
  });

  it('when --file names a .ps1 script, then its content is sent as the command with powershell; a missing file is 66', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hc-file-')), 'setup.ps1');
    writeFileSync(file, 'Write-Output hi\n');
    const { api, calls } = fakeApi([done()]);
    await runExec(cmd({ source: { kind: 'file', path: file } }), api, fakeIo().io);
    expect(calls[0]!.body).toEqual({ command: 'Write-Output hi\n', timeout_s: undefined, interpreter: 'powershell' });
    const missing = runExec(cmd({ source: { kind: 'file', path: `${file}.nope` } }), api, fakeIo().io);
    await expect(missing).rejects.toBeInstanceOf(CliError);
    await expect(missing).rejects.toMatchObject({ exitCode: 66 });
  });
});
