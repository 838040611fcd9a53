/**
 * A role's recipe on this host: which interpreter's scripts apply, and running one of them with a
 * timeout and bounded output in the log. On Linux and macOS bash comes first, on Windows
 * PowerShell; a recipe written only for the other one is used when that interpreter is present.
 */
import type { Logger } from '../log.js';
import { launchFor, notStarted, runCommand, type Interpreters, type RunOutcome } from './exec-runner.js';
import type { Recipe } from '../wire/agent.js';
import type { Interpreter } from '../wire/common.js';

/** Scripts keep this much output each; the log shows the tail of it. */
export const SCRIPT_OUTPUT_BYTES = 64 * 1024;
/** Characters of a script's output tail that go into one log line. */
export const LOG_TAIL_CHARS = 2000;

/** The interpreters a recipe has scripts for (the wire's interpreters). */
export type ScriptInterpreter = Interpreter;

/** The install and check scripts to use here (either may be absent). */
export interface RoleScripts {
  interpreter: ScriptInterpreter;
  install?: string;
  check?: string;
}

const nonEmpty = (s: string | undefined): string | undefined => (s !== undefined && s.trim() !== '' ? s : undefined);

/** Picks the recipe half for an interpreter this host has; null when the recipe has none for it. */
export function pickScripts(recipe: Recipe, found: Interpreters, platform: NodeJS.Platform): RoleScripts | null {
  const order: ScriptInterpreter[] = platform === 'win32' ? ['powershell', 'bash'] : ['bash', 'powershell'];
  for (const interpreter of order) {
    if (!found[interpreter]) continue;
    const install = nonEmpty(interpreter === 'bash' ? recipe.bash : recipe.powershell);
    const check = nonEmpty(interpreter === 'bash' ? recipe.check_bash : recipe.check_powershell);
    if (install !== undefined || check !== undefined) return { interpreter, install, check };
  }
  const written = Object.values(recipe).some((s) => nonEmpty(s) !== undefined);
  return written ? null : { interpreter: order[0]! };
}

const tail = (s: string): string => (s.length > LOG_TAIL_CHARS ? '…' + s.slice(-LOG_TAIL_CHARS) : s);

/** One role script to run. */
export interface ScriptRun {
  role: string;
  kind: 'check' | 'install';
  interpreter: ScriptInterpreter;
  script: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  found: Interpreters;
  signal?: AbortSignal;
}

/** Runs one script; logs install runs and failures (with the output's tail), never the script text. */
export async function runScript(run: ScriptRun, log: Logger): Promise<RunOutcome> {
  const launch = launchFor(run.interpreter, run.script, run.found);
  const outcome =
    'error' in launch
      ? notStarted(launch.error)
      : await runCommand({ launch, timeoutMs: run.timeoutMs, maxOutputBytes: SCRIPT_OUTPUT_BYTES, env: run.env, signal: run.signal });
  const ok = outcome.exitCode === 0 && !outcome.timedOut;
  const fields = {
    role: run.role,
    script: run.kind,
    interpreter: run.interpreter,
    exit_code: outcome.exitCode,
    timed_out: outcome.timedOut,
    duration_ms: outcome.durationMs,
  };
  if (run.kind === 'install') {
    const output = { stdout_tail: tail(outcome.stdout), stderr_tail: tail(outcome.stderr) };
    if (ok) log.info('role install script finished', { ...fields, ...output });
    else log.error('role install script failed', { ...fields, ...output });
  } else if (!ok) {
    log.debug('role check failed', { ...fields, stderr_tail: tail(outcome.stderr) });
  }
  return outcome;
}

/** Exit 0 within the timeout. */
export const succeeded = (o: RunOutcome): boolean => o.exitCode === 0 && !o.timedOut;
