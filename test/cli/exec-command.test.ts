import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecCommand } from '../../src/cli/args.js';
import { CliError, type Api, type CallOptions, type Reply } from '../../src/cli/client.js';
import { FALLBACK_FIRST_MS, FALLBACK_MAX_MS, MAX_WAIT_S, REPORT_GRACE_MS, runExec, WAIT_MARGIN_MS, type ExecIo } from '../../src/cli/exec.js';
import { MAX_RESULT_WAIT_S } from '../../src/wire/exec.js';
import { FAKE_EXEC_ID as ID, resultView } from './fake-api.js';
import { tempDir } from '../support/temp.js';

const PENDING: Reply = { status: 202, body: { status: 'pending', state: 'delivered', position: null } };
const done = (over: Parameters<typeof resultView>[0] = {}): Reply => ({ status: 200, body: resultView({ stdout: 'out\n', stderr: 'err\n', ...over }) });

/** How the fake server answers one result request: a reply, after holding it `heldMs` (of fake time). */
interface Answer {
  reply: Reply;
  /** 'wait': held for the whole ?wait asked (a long-poll that ran out); a number: that many ms. */
  held: 'wait' | number;
}
const held = (reply: Reply, ms: number | 'wait' = 'wait'): Answer => ({ reply, held: ms });
const atOnce = (reply: Reply): Answer => ({ reply, held: 0 });

/** Fake time, advanced by the fake server's holding and by the CLI's sleep(). */
function fakeIo() {
  const clock = { t: 0 };
  const out = { stdout: '', stderr: '', sleeps: [] as number[] };
  const io: ExecIo = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    now: () => clock.t,
    sleep: async (ms) => {
      out.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return { io, out, clock };
}

/** An API that accepts the submit and answers result requests from `answers` (the last repeats). */
function fakeApi(clock: { t: number }, answers: Answer[]) {
  const calls: Array<{ method: string; path: string; body?: unknown; opts?: CallOptions; at: number }> = [];
  let i = 0;
  const api: Api = {
    async call(method, path, body, opts) {
      calls.push({ method, path, body, opts, at: clock.t });
      if (method === 'POST') return { status: 202, body: { id: ID } };
      const a = answers[Math.min(i++, answers.length - 1)]!;
      const wait = Number(new URL(path, 'http://x').searchParams.get('wait'));
      clock.t += a.held === 'wait' ? wait * 1000 : a.held;
      return a.reply;
    },
    close() {},
  };
  const gets = () => calls.filter((c) => c.method === 'GET');
  return { api, calls, gets };
}

function setup(answers: Answer[]) {
  const { io, out, clock } = fakeIo();
  return { io, out, clock, ...fakeApi(clock, answers) };
}

const cmd = (over: Partial<ExecCommand> = {}): ExecCommand => ({
  cmd: 'exec', nodeId: 'node-1', source: { kind: 'text', text: 'echo out' }, json: false, async: false, ...over,
});
const waitOf = (path: string) => Number(new URL(path, 'http://x').searchParams.get('wait'));

describe('hydracluster exec (command logic)', () => {
  it('when the server answers the long-poll the moment the exec finishes, then one result request carries the output and the code', async () => {
    const s = setup([held(done({ exit_code: 7 }), 40)]);
    expect(await runExec(cmd({ timeoutS: 30 }), s.api, s.io)).toBe(7);
    expect(s.out).toMatchObject({ stdout: 'out\n', stderr: 'err\n', sleeps: [] });
    expect(s.calls[0]).toMatchObject({ method: 'POST', path: '/nodes/node-1/exec', body: { command: 'echo out', timeout_s: 30, interpreter: undefined } });
    expect(s.gets().map((c) => c.path)).toEqual([`/nodes/node-1/exec/${ID}/result?wait=35`]);
  });

  it('when nothing finishes, then it waits one request at a time with wait = min(60, time left) until --timeout + the grace, then exits 124 with the exec id', async () => {
    const s = setup([held(PENDING)]);
    expect(await runExec(cmd({ timeoutS: 100 }), s.api, s.io)).toBe(124);
    const total = 100_000 + REPORT_GRACE_MS;
    expect(s.gets().map((c) => waitOf(c.path))).toEqual([60, (total - 60_000) / 1000]);
    expect(s.clock.t).toBe(total);
    expect(s.out.sleeps).toEqual([]);
    expect(s.out.stdout).toBe('');
    expect(s.out.stderr).toContain(ID);
    // Each request's own timeout is longer than the wait it asks for.
    for (const c of s.gets()) expect(c.opts?.timeoutMs).toBe(waitOf(c.path) * 1000 + WAIT_MARGIN_MS);
  });

  it('when the node reports timed_out after killing the command (SIGTERM, SIGKILL 2 s later), then its partial output is printed and the exit is 124', async () => {
    // The report arrives 2.5 s after --timeout: after the old +1 s, within the grace.
    const reportAtMs = 2000 + 2500;
    const s = setup([held(done({ status: 'timed_out', exit_code: null, stdout: 'partial\n', stderr: '' }), reportAtMs)]);
    expect(await runExec(cmd({ timeoutS: 2 }), s.api, s.io)).toBe(124);
    expect(s.out.stdout).toBe('partial\n');
    expect(s.out.stderr).toMatch(/timed out on the node/);
    expect(s.gets().map((c) => waitOf(c.path))).toEqual([(2000 + REPORT_GRACE_MS) / 1000]);
  });

  it('when an older server ignores ?wait and answers 202 at once, then the CLI backs off instead of spinning and still gets the result', async () => {
    const s = setup([...Array.from({ length: 8 }, () => atOnce(PENDING)), atOnce(done())]);
    expect(await runExec(cmd({ timeoutS: 30 }), s.api, s.io)).toBe(0);
    expect(s.out.sleeps).toEqual([FALLBACK_FIRST_MS, 50, 100, 200, 400, 800, FALLBACK_MAX_MS, FALLBACK_MAX_MS]);
    expect(s.gets()).toHaveLength(9);
  });

  it('when an older server never finishes, then it still gives up at --timeout + the grace, with a bounded number of requests', async () => {
    const s = setup([atOnce(PENDING)]);
    expect(await runExec(cmd({ timeoutS: 10 }), s.api, s.io)).toBe(124);
    expect(s.clock.t).toBe(10_000 + REPORT_GRACE_MS);
    expect(s.gets().length).toBeLessThan(25);
  });

  it('when a held request comes back after a fallback, then the back-off starts over', async () => {
    const s = setup([atOnce(PENDING), atOnce(PENDING), held(PENDING, 'wait'), atOnce(PENDING), atOnce(done())]);
    expect(await runExec(cmd({ timeoutS: 300 }), s.api, s.io)).toBe(0);
    expect(s.out.sleeps).toEqual([25, 50, 25]);
  });

  it('the longest wait the CLI asks for is the one the server accepts', () => {
    expect(MAX_WAIT_S).toBe(MAX_RESULT_WAIT_S);
  });

  it('when --json is given, then the server\'s result object is printed as sent and the exit is 0 whatever the remote code', async () => {
    const body = { ...resultView({ exit_code: 3, stdout: 'out\n' }), added_by_a_newer_server: true };
    const s = setup([atOnce({ status: 200, body })]);
    expect(await runExec(cmd({ json: true }), s.api, s.io)).toBe(0);
    expect(JSON.parse(s.out.stdout)).toEqual(body);
  });

  it('when --async is given, then only the id is printed and no result is asked for', async () => {
    const s = setup([atOnce(PENDING)]);
    expect(await runExec(cmd({ async: true }), s.api, s.io)).toBe(0);
    expect(s.out.stdout).toBe(`${ID}\n`);
    expect(s.calls).toHaveLength(1);
  });

  it('when the exec ends timed_out, expired, cancelled or with an out-of-range code, then the exit is 124, 124, 70 or 1', async () => {
    const cases: Array<[Parameters<typeof resultView>[0], number]> = [
      [{ status: 'timed_out', exit_code: null }, 124],
      [{ status: 'expired', exit_code: null }, 124],
      [{ status: 'cancelled', exit_code: null }, 70],
      [{ exit_code: 3221225477 }, 1],
      [{ exit_code: -1 }, 1],
    ];
    for (const [over, code] of cases) {
      const s = setup([atOnce(done(over))]);
      expect(await runExec(cmd(), s.api, s.io), JSON.stringify(over)).toBe(code);
    }
  });

  it('when a reply is not the contract\'s shape, then the CLI fails with 70 and names the field', async () => {
    const s = setup([atOnce({ status: 200, body: { ...resultView(), exit_code: '0' } })]);
    const failed = runExec(cmd(), s.api, s.io);
    await expect(failed).rejects.toBeInstanceOf(CliError);
    await expect(failed).rejects.toMatchObject({ exitCode: 70, message: expect.stringContaining('exit_code') });
    const pending = setup([atOnce({ status: 202, body: { status: 'pending', state: 'lost', position: null } })]);
    await expect(runExec(cmd(), pending.api, pending.io)).rejects.toMatchObject({ exitCode: 70, message: expect.stringContaining('state') });
  });

  it('when --file names a .ps1 script, then its content is sent as the command with powershell; a missing file is 66', async () => {
    const file = join(tempDir('hc-file-'), 'setup.ps1');
    writeFileSync(file, 'Write-Output hi\n');
    const s = setup([atOnce(done())]);
    await runExec(cmd({ source: { kind: 'file', path: file } }), s.api, s.io);
    expect(s.calls[0]!.body).toEqual({ command: 'Write-Output hi\n', timeout_s: undefined, interpreter: 'powershell' });
    const missing = runExec(cmd({ source: { kind: 'file', path: `${file}.nope` } }), s.api, s.io);
    await expect(missing).rejects.toBeInstanceOf(CliError);
    await expect(missing).rejects.toMatchObject({ exitCode: 66 });
  });
});
