/**
 * Windows builds under Wine (Debian's wine64; `.ci/run` installs it). A Windows Node cannot write
 * to a Linux pipe under Wine (EBADF), so a program's stdout and stderr go to a file. One prefix
 * per test file (created on first use: 10–30 s), with Windows 10 as the version Node 20 requires;
 * dispose() stops its wineserver and removes it (about 700 MB).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

export const WINE = '/usr/lib/wine/wine64';
const WINESERVER = '/usr/lib/wine/wineserver';
/** The tests that need Wine skip when it is missing (and only then). */
export const hasWine = existsSync(WINE);
const PREFIX_TIMEOUT_MS = 180_000;

/** A Linux path as Windows programs under Wine see it (drive Z: is /). */
export const winPath = (linuxPath: string): string => `Z:${linuxPath.replace(/\//g, '\\')}`;

export interface WineRun {
  child: ChildProcess;
  /** What the program wrote so far (stdout and stderr, in one file). */
  output: () => string;
  exited: Promise<number | null>;
}

export class WinePrefix {
  readonly dir = tempDir('hc-wine-');
  readonly env: NodeJS.ProcessEnv;
  private ready: Promise<void> | null = null;

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    // No Mono or Gecko install prompts; no Wine debug chatter in the output files. TMPDIR: the
    // wineserver's own folder (wine-XXXXXX) goes inside this one, removed with it.
    const tmp = join(this.dir, 'tmp');
    mkdirSync(tmp);
    this.env = { ...process.env, WINEPREFIX: join(this.dir, 'prefix'), TMPDIR: tmp, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', ...extraEnv };
  }

  /** Creates the prefix and sets Windows 10 (Node 20 refuses Wine's default, Windows 7). */
  init(): Promise<void> {
    this.ready ??= (async () => {
      const r = this.start(WINE, ['winecfg', '-v', 'win10'], 'winecfg.log');
      const timer = setTimeout(() => r.child.kill('SIGKILL'), PREFIX_TIMEOUT_MS);
      const code = await r.exited;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`wine prefix setup failed (${code}): ${r.output()}`);
    })();
    return this.ready;
  }

  private start(file: string, args: string[], logName: string, cwd = this.dir): WineRun {
    const log = join(this.dir, `${logName}`);
    const fd = openSync(log, 'w');
    const child = spawn(file, args, { cwd, env: this.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { child, exited, output: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
  }

  private runs = 0;

  /** Starts a Windows program (a Linux path) with these arguments; its output goes to a file. */
  spawn(exe: string, args: string[], cwd?: string): WineRun {
    return this.start(WINE, [exe, ...args], `run-${++this.runs}.log`, cwd);
  }

  /** Runs a Windows program to its end; kills it after `timeoutMs`. */
  async run(exe: string, args: string[], timeoutMs = 60_000, cwd?: string): Promise<{ code: number | null; output: string }> {
    await this.init();
    const r = this.spawn(exe, args, cwd);
    const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
    const code = await r.exited;
    clearTimeout(timer);
    return { code, output: r.output() };
  }

  /** Stops every program of this prefix and removes it. */
  async dispose(): Promise<void> {
    if (existsSync(join(this.dir, 'prefix'))) {
      const k = spawn(WINESERVER, ['-k'], { env: this.env, stdio: 'ignore' });
      await new Promise((r) => k.once('exit', r));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
