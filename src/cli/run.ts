/**
 * The client side of `hydracluster`: parse, find the server, run one command, and turn the CLI's
 * own failures into one line on stderr and a sysexits code (SPEC §12).
 */
import { runAdmin } from './admin.js';
import { runAudit } from './audit.js';
import { parseClientArgs, UsageError, CLIENT_COMMANDS as ARGS_COMMANDS } from './args.js';
import { CliError, createApi, EX_USAGE, resolveConnection, type Env } from './client.js';
import { runExec, type ExecIo } from './exec.js';
import { HEADS_COMMANDS, parseHeadsArgs, runHeads } from './heads.js';
import { runFleetExec } from './fleet-exec.js';

/** Every client command `main` dispatches here. */
export const CLIENT_COMMANDS = [...ARGS_COMMANDS, ...HEADS_COMMANDS];

export interface ClientIo extends ExecIo {
  env: Env;
}

/** Real-process I/O: the process's streams and env, wall-clock time. */
export function processIo(env: Env): ClientIo {
  return {
    env,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** Runs `hydracluster <cmd> ...argv` for a client command; resolves with the exit code. */
export async function runClient(cmd: string, argv: string[], io: ClientIo): Promise<number> {
  try {
    if (HEADS_COMMANDS.includes(cmd)) {
      const { command, conn } = parseHeadsArgs(cmd, argv);
      return await runHeads(command, createApi(resolveConnection(conn, io.env)), io.stdout);
    }
    const { command, conn } = parseClientArgs(cmd, argv);
    const api = createApi(resolveConnection(conn, io.env));
    if (command.cmd === 'audit') return await runAudit(command, api, io.stdout);
    if (command.cmd === 'fleet-exec') return await runFleetExec(command, api, io);
    return command.cmd === 'exec' ? await runExec(command, api, io) : await runAdmin(command, api, io.stdout);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`hydracluster ${cmd}: ${e.message} (see hydracluster help)\n`);
      return EX_USAGE;
    }
    if (e instanceof CliError) {
      io.stderr.write(`hydracluster: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
