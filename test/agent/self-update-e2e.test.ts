/**
 * Self-update end to end (issue 19 acceptance 5): the agent built as a single executable of
 * version A, installed and kept running by a small supervisor (it restarts the binary whenever it
 * exits: what systemd's Restart=always does), a server whose `<home>/releases/` holds version B.
 * Builds are ~100 MB each: A and B are built once here, into a temp folder removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, makeHome, startServerProcess, type ServerProcess } from '../support/process.js';
import { buildAgent } from '../support/release.js';
import { enroll, eventually, nodeWhen, stop, tempDir, type Finished } from './agent-process.js';

const A = '1.0.0-a';
const B = '1.0.0-b';
const fileOf = (v: string) => `hydranode-${v}-linux-amd64`;
const BUILD_MS = 300_000;
const UPDATE_MS = 90_000;

/** Runs an executable to its end (stdout, stderr, exit code). */
function runFile(file: string, args: string[]): Promise<Finished> {
  return new Promise((done) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** Stands in for systemd (Restart=always): runs `<binary> run` and starts it again whenever it exits. */
class Supervisor {
  readonly exits: Array<number | null> = [];
  starts = 0;
  child!: ChildProcess;
  private out = '';
  private stopping = false;

  constructor(private readonly binary: string, private readonly home: string) {}

  start(): void {
    this.starts++;
    const env = { ...process.env };
    delete env.HYDRANODE_HOME;
    const child = spawn(this.binary, ['run', '--home', this.home], { stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    child.once('exit', (code) => {
      this.exits.push(code);
      if (!this.stopping) this.start();
    });
    this.child = child;
  }

  output(): string {
    return this.out;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child) await stop(this.child);
  }
}

describe('agent self-update (single executables)', () => {
  const work = tempDir('hn-selfupd-');
  const bin = join(work, 'bin', 'hydranode');
  const agentHome = join(work, 'agent-home');
  let server: ServerProcess;
  let releases: string;
  let sup: Supervisor;
  let id: string;

  /** Puts a release into the server's `<home>/releases/`: files and a manifest (its sha256 as given or true). */
  function publish(version: string, file: { name: string; from?: string; body?: string }, sha?: string): void {
    const dest = join(releases, file.name);
    if (file.from) copyFileSync(file.from, dest);
    else writeFileSync(dest, file.body!, { mode: 0o755 });
    const data = readFileSync(dest);
    const manifest = { version, files: [{ platform: 'linux-amd64', name: file.name, size: data.length, sha256: sha ?? createHash('sha256').update(data).digest('hex') }] };
    writeFileSync(join(releases, 'manifest.json'), JSON.stringify(manifest));
  }
  const versionOf = async (file: string) => (await runFile(file, ['version'])).stdout.trim();
  const node = async () => (await call(server.url, 'GET', `/nodes/${id}`)).body;

  beforeAll(async () => {
    const [outA, outB] = [join(work, 'build-a'), join(work, 'build-b')];
    await Promise.all([
      buildAgent(['--version', A, '--out', outA, '--only', 'linux-amd64']),
      buildAgent(['--version', B, '--out', outB, '--only', 'linux-amd64']),
    ]);
    mkdirSync(join(work, 'bin'));
    copyFileSync(join(outA, fileOf(A)), bin);
    const serverHome = makeHome((doc) => (doc.server.heartbeat_interval_s = 1));
    releases = join(serverHome, 'releases');
    mkdirSync(releases);
    copyFileSync(join(outB, fileOf(B)), join(work, fileOf(B)));
    rmSync(outA, { recursive: true, force: true });
    rmSync(outB, { recursive: true, force: true });
    server = await startServerProcess(serverHome);
    const e = await enroll(server.url, 'selfupd-node');
    id = e.node_id;
    const installed = await runFile(bin, ['install', '--server', server.url, '--enroll-token', e.enrollment_token, '--home', agentHome, '--no-service']);
    expect(installed.code, installed.stderr).toBe(0);
    sup = new Supervisor(bin, agentHome);
    sup.start();
    await eventually('A online', nodeWhen(server.url, id, (n) => n.state === 'online' && n.agent_version === A), 30_000);
  }, BUILD_MS);

  afterAll(async () => {
    await sup?.stop();
    if (server) await stop(server.child);
    rmSync(work, { recursive: true, force: true });
  });

  it('when the release is B and update_node is set, then A swaps itself for B, is restarted by its service, reports B and acknowledges; rollback brings A back', async () => {
    publish(B, { name: fileOf(B), from: join(work, fileOf(B)) });
    expect((await call(server.url, 'POST', `/nodes/${id}/update-node`)).status).toBe(202);
    const n = await eventually('B reported', nodeWhen(server.url, id, (x) => x.agent_version === B && x.agent_update?.state === 'swapped' && !x.flags.update_node), UPDATE_MS, 250);
    expect(n.agent_update).toMatchObject({ target_version: B, message: `updated from ${A} to ${B}; running` });
    expect(sup.exits).toEqual([75]); // A exited once, for its service to start B
    expect(sup.starts).toBe(2);
    expect(await versionOf(bin)).toBe(`hydranode ${B}`);
    expect(await versionOf(`${bin}.old`)).toBe(`hydranode ${A}`);

    const rolled = await runFile(bin, ['rollback']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(await versionOf(bin)).toBe(`hydranode ${A}`);
    await stop(sup.child); // `systemctl restart hydranode`: the supervisor starts the file now in place
    await eventually('A again', nodeWhen(server.url, id, (x) => x.agent_version === A), 30_000);
  }, UPDATE_MS + 40_000);

  it('when the manifest\u2019s SHA-256 is wrong, then A keeps running and the node shows agent_update failed with the reason', async () => {
    publish(B, { name: fileOf(B), from: join(work, fileOf(B)) }, 'f'.repeat(64));
    const pid = sup.child.pid;
    const starts = sup.starts;
    expect((await call(server.url, 'POST', `/nodes/${id}/update-node`)).status).toBe(202);
    const n = await eventually('failure reported', nodeWhen(server.url, id, (x) => x.agent_update?.state === 'failed' && /checksum/.test(x.agent_update.message) && !x.flags.update_node), UPDATE_MS, 250);
    expect(n.agent_update.message).toMatch(new RegExp(`^checksum mismatch: the manifest says sha256 f{64}, the download has [0-9a-f]{64}$`));
    expect(n.agent_update.target_version).toBe(B);
    expect([n.agent_version, sup.child.pid, sup.starts]).toEqual([A, pid, starts]);
    expect(await versionOf(bin)).toBe(`hydranode ${A}`);
  }, UPDATE_MS + 10_000);

  it('when the release passes the checksum but cannot start, then its probe fails, A keeps running and the node says why', async () => {
    publish('1.0.0-c', { name: fileOf('1.0.0-c'), body: '#!/bin/sh\necho "this build cannot start" >&2\nexit 1\n' });
    const pid = sup.child.pid;
    expect((await call(server.url, 'POST', `/nodes/${id}/update-node`)).status).toBe(202);
    const n = await eventually('probe failure reported', nodeWhen(server.url, id, (x) => x.agent_update?.state === 'failed' && /probe/.test(x.agent_update.message) && !x.flags.update_node), UPDATE_MS, 250);
    expect(n.agent_update).toMatchObject({ target_version: '1.0.0-c', message: 'the new file failed its probe (exited 1): this build cannot start' });
    expect([n.agent_version, sup.child.pid]).toEqual([A, pid]);
    expect(await versionOf(bin)).toBe(`hydranode ${A}`);
    expect((await node()).state).toBe('online');
  }, UPDATE_MS + 10_000);
});
