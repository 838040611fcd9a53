/**
 * Starting a provider (docs/api.md#providers `start`): the command line runs in install_dir through the
 * node's shell — `cmd /d /s /c` on Windows (so `start.bat` works as the runbook's), bash elsewhere —
 * detached (its own session and process group; on Windows no console window) and unreferenced, so
 * it outlives an agent restart. Its output goes to `<home>/provider-<role>.log`, whose tail a
 * failed start reports.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { StepError } from './step-error.js';

/** Lines and characters of output a failure carries (`output_tail`). */
export const TAIL_LINES = 20;
export const TAIL_CHARS = 2000;

export interface LaunchSpec {
  command: string;
  cwd: string;
  logPath: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** bash's path (Linux, macOS); null: /bin/sh. */
  bash: string | null;
  /**
   * Under systemd (a service's cgroup is killed with it): systemd-run's path and a scope unit name,
   * so the provider runs in its own transient scope and outlives an agent restart.
   */
  scope?: { systemdRun: string; unit: string } | null;
}

/** The last lines of `text`, at most {@link TAIL_CHARS} characters. */
export function tailOf(text: string): string {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/).slice(-TAIL_LINES).join('\n');
  return lines.length > TAIL_CHARS ? lines.slice(-TAIL_CHARS) : lines;
}

/** The tail of a log file ('' when it does not exist). */
export function fileTail(path: string): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  const length = Math.min(size, TAIL_CHARS * 4);
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return tailOf(buf.toString('utf8'));
}

/**
 * The node's shell for a command line: `cmd.exe /d /s /c "<line>"` on Windows (passed verbatim, as
 * cmd expects: /s strips the outer quotes and runs the rest as typed), else `bash -c <line>`.
 */
export function shellLaunch(spec: Pick<LaunchSpec, 'command' | 'platform' | 'env' | 'bash' | 'scope'>): { file: string; args: string[]; verbatim: boolean } {
  if (spec.platform === 'win32') return { file: spec.env.ComSpec ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${spec.command}"`], verbatim: true };
  const shell = [spec.bash ?? '/bin/sh', '-c', spec.command];
  if (spec.scope) return { file: spec.scope.systemdRun, args: ['--scope', '--quiet', '--collect', `--unit=${spec.scope.unit}`, ...shell], verbatim: false };
  return { file: shell[0]!, args: shell.slice(1), verbatim: false };
}

/** Starts the command detached; resolves with its pid once it is running. */
export function launchDetached(spec: LaunchSpec): Promise<number> {
  if (!existsSync(spec.cwd)) return Promise.reject(new StepError('start', `install_dir ${spec.cwd} does not exist`));
  const { file, args, verbatim } = shellLaunch(spec);
  const log = openSync(spec.logPath, 'w');
  try {
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      windowsHide: true,
      windowsVerbatimArguments: verbatim,
      stdio: ['ignore', log, log],
    });
    return new Promise((resolve, reject) => {
      child.once('error', (e) => reject(new StepError('start', `cannot run \`${spec.command}\` in ${spec.cwd}: ${e.message}`)));
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid!);
      });
    });
  } finally {
    closeSync(log); // the child holds its own copy
  }
}
