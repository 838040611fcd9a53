/**
 * The Windows half of the self-update's swap (docs/api.md#agent-self-update, issue 19 acceptance 5): Windows lets a
 * running executable be renamed, not deleted or overwritten. Under Wine: the Windows build runs
 * (`run`, retrying a server that is not there, so it stays up), and the same file, started again
 * as `rollback`, renames that running file aside and moves another into its place — the very
 * renames a self-update makes on its own running file. Skipped where Wine is not installed.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ensureRelease } from '../support/release.js';
import { hasWine, WinePrefix, winPath, type WineRun } from '../support/wine.js';
import { eventually, freePort, tempDir } from './agent-process.js';

const WINE_MS = 120_000;

describe.skipIf(!hasWine)('swap of a running Windows executable (Wine)', () => {
  const wine = new WinePrefix();
  const dir = tempDir('hn-wine-swap-');
  let exe: string;
  let agent: WineRun | undefined;

  beforeAll(async () => {
    const [release] = await Promise.all([ensureRelease(), wine.init()]);
    exe = release.file('windows-amd64');
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    await wine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when hydranode.exe is running, then it can be renamed aside and another file moved into its place, and it keeps running', async () => {
    const target = join(dir, 'hydranode.exe');
    const other = join(dir, 'hydranode.old.exe');
    copyFileSync(exe, target);
    writeFileSync(other, 'the other version');
    const home = join(dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'config.yaml'), `server_url: http://127.0.0.1:${await freePort()}\nnode_id: node-wine\ntoken: hcn_wine\n`);

    agent = wine.spawn(target, ['run', '--home', winPath(home)]);
    const log = join(home, 'hydranode.log');
    await eventually('the Windows agent running', async () => (existsSync(log) && readFileSync(log, 'utf8').includes('hydranode starting') ? true : undefined), WINE_MS, 250);

    // The running file starts once more and swaps itself with hydranode.old.exe (MoveFileEx under Wine).
    const swap = await wine.run(target, ['rollback', '--binary', winPath(target)]);
    expect(swap.code, swap.output).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('the other version');
    expect(statSync(other).size).toBe(statSync(exe).size);
    expect([agent.child.exitCode, agent.child.signalCode]).toEqual([null, null]); // renamed under it, still running
  }, WINE_MS + 60_000);
});
