/**
 * The Windows half of the self-update's swap (SPEC §16.2, issue 19 acceptance 5): Windows lets a
 * running executable be renamed, not deleted or overwritten. Under Wine: the Windows build runs
 * (`run`, retrying a server that is not there, so it stays up), and the same file, started again
 * as `rollback`, renames that running file aside and moves another into its place — the very
 * renames a self-update makes on its own running file. Skipped where Wine is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRelease } from '../support/release.js';
import { eventually, freePort, tempDir } from './agent-process.js';

const WINE = '/usr/lib/wine/wine64';
/** A Wine prefix's first start (wineboot) takes a while on a busy machine. */
const WINE_MS = 180_000;

/** `/tmp/x/y` as Wine's Windows sees it. */
const winPath = (p: string): string => `Z:${p.replace(/\//g, '\\')}`;

/** Starts a Windows program under Wine, its output into a file (a Windows process cannot write to a Linux pipe). */
function wine(exe: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'a');
  const env = { ...process.env, NODE_SKIP_PLATFORM_CHECK: '1', WINEDEBUG: '-all' };
  delete env.HYDRANODE_HOME;
  const child = spawn(WINE, [exe, ...args], { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  return child;
}

const exited = (c: ChildProcess): Promise<number | null> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));

describe.skipIf(!existsSync(WINE))('swap of a running Windows executable (Wine)', () => {
  const dir = tempDir('hn-wine-swap-');
  const running: ChildProcess[] = [];

  afterAll(async () => {
    for (const c of running) {
      c.kill('SIGKILL');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('when hydranode.exe is running, then it can be renamed aside and another file moved into its place, and it keeps running', async () => {
    const { file } = await ensureRelease();
    const target = join(dir, 'hydranode.exe');
    const other = join(dir, 'hydranode.old.exe');
    copyFileSync(file('windows-amd64'), target);
    writeFileSync(other, 'the other version');
    const home = join(dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'config.yaml'), `server_url: http://127.0.0.1:${await freePort()}\nnode_id: node-wine\ntoken: hcn_wine\n`);

    const agent = wine(target, ['run', '--home', winPath(home)], join(dir, 'run.log'));
    running.push(agent);
    const log = join(home, 'hydranode.log');
    await eventually('the Windows agent running', async () => (existsSync(log) && readFileSync(log, 'utf8').includes('hydranode starting') ? true : undefined), WINE_MS, 250);

    // The running file starts once more and swaps itself with hydranode.old.exe (MoveFileEx under Wine).
    const swap = wine(target, ['rollback', '--binary', winPath(target)], join(dir, 'rollback.log'));
    running.push(swap);
    const code = await exited(swap);
    expect(code, readFileSync(join(dir, 'rollback.log'), 'utf8')).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('the other version');
    expect(statSync(other).size).toBe(statSync(file('windows-amd64')).size);
    expect([agent.exitCode, agent.signalCode]).toEqual([null, null]); // renamed under it, still running
  }, WINE_MS + 60_000);
});
