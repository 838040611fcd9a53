import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, requireBuild } from './e2e-helpers.js';
import { FAKE_TOKEN, nodeView, startFakeApi, type FakeApi } from './fake-api.js';
import { tempDir } from '../support/temp.js';

// Well over a pipe's buffer (64 KiB), so the CLI is still writing when the reader leaves.
const BIG_STDOUT = Array.from({ length: 200_000 }, (_, i) => `${i + 1}\n`).join('');
const NODES = 3000;
const NODE = nodeView(0).id;

interface Early {
  code: number | null;
  signal: NodeJS.Signals | null;
  firstChunk: string;
  stderr: string;
}

/** Runs the built CLI with its stdout on a pipe whose reader closes after the first chunk (like `| head -1`). */
function runIntoEarlyClose(args: string[]): Promise<Early> {
  const env: NodeJS.ProcessEnv = { ...process.env, HYDRACLUSTER_HOME: tempDir('hc-epipe-') };
  delete env.HC_SERVER;
  delete env.HC_TOKEN;
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let firstChunk = '';
  let stderr = '';
  // Paused mode: this side buffers at most about one chunk, so the CLI is left with a lot to write.
  child.stdout.once('readable', () => {
    firstChunk = String(child.stdout.read() ?? '');
    child.stdout.destroy();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, firstChunk, stderr })));
}

describe('the CLI when its stdout fails: a reader that closes early (… | head -1), a full disk', () => {
  let api: FakeApi;
  const conn = () => ['--server', api.url, '--admin-token', FAKE_TOKEN];

  beforeAll(async () => {
    requireBuild();
    api = await startFakeApi({ nodes: NODES, result: { stdout: BIG_STDOUT, exit_code: 3 } });
  });
  afterAll(() => api?.close());

  it('when exec output is cut short by the reader, then the CLI exits with the remote exit code and prints no stack', async () => {
    const r = await runIntoEarlyClose(['exec', NODE, 'seq 1 200000', ...conn()]);
    expect(r.firstChunk.startsWith('1\n2\n')).toBe(true);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 3, signal: null });
  });

  it('when nodes list is cut short by the reader, then the CLI exits 0 and prints no stack', async () => {
    const r = await runIntoEarlyClose(['nodes', 'list', ...conn()]);
    expect(r.firstChunk.startsWith('ID ')).toBe(true);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, signal: null });
  });

  it.skipIf(!existsSync('/dev/full'))('when stdout is a full disk (/dev/full), then the CLI says so in one line on stderr and keeps the remote exit code', async () => {
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [MAIN, 'exec', NODE, 'seq 1 200000', ...conn()], { stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(stderr).toBe('hydracluster: cannot write to stdout: ENOSPC\n');
    expect(code).toBe(3);
  });
});
