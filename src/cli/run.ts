/**
 * The client side of `hydracluster`: parse, find the server, run one command, and turn the CLI's
 * own failures into one line on stderr and a sysexits code (docs/operations.md#the-cli). Only `exec` <node> is loaded
 * up front: the admin, heads and fleet-exec modules (and the zod their wire schemas bring) are
 * loaded when one of them runs.
 */
import { HEADS_COMMANDS, parseClientArgs } from './args.js';
import { createApi, type Api } from './client.js';
import { resolveConnection, type Connection, type Env } from './connection.js';
import { reportFailure } from './errors.js';
import { runExec, type ExecIo } from './exec.js';
import { withNodeIds } from './node-names.js';
import type { Confirm } from './admin.js';
import { guardedOut } from './output.js';

export interface ClientIo extends ExecIo {
  env: Env;
  /** Asks the operator a yes/no question; absent when there is no terminal to ask on (scripts). */
  confirm?: Confirm;
}

/** Real-process I/O: the process's streams (a reader that leaves ends output quietly), env, clock. */
export function processIo(env: Env): ClientIo {
  const stderr = guardedOut(process.stderr);
  return {
    env,
    stdout: guardedOut(process.stdout, (e) => stderr.write(`hydracluster: cannot write to stdout: ${e.code ?? e.message}\n`)),
    stderr,
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    confirm: process.stdin.isTTY ? (question) => askTerminal(question) : undefined,
  };
}

/** One line read from the terminal after `question` (on stderr): yes only for y or yes. */
async function askTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^\s*y(es)?\s*$/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}

/** Runs `hydracluster <cmd> ...argv` for a client command; resolves with the exit code. */
export async function runClient(cmd: string, argv: string[], io: ClientIo, connect: (c: Connection) => Api = createApi): Promise<number> {
  let api: Api | undefined;
  try {
    if (HEADS_COMMANDS.includes(cmd)) {
      const { parseHeadsArgs, runHeads } = await import('./heads.js');
      const { command, conn } = parseHeadsArgs(cmd, argv);
      api = connect(await resolveConnection(conn, io.env));
      return await runHeads(command, api, io.stdout, io.stderr);
    }
    const parsed = parseClientArgs(cmd, argv);
    api = connect(await resolveConnection(parsed.conn, io.env));
    // A node argument may be a unique name: one lookup, only when it is not an id.
    const command = await withNodeIds(parsed.command, api);
    if (command.cmd === 'exec') return await runExec(command, api, io);
    if (command.cmd === 'fleet-exec') {
      const { runFleetExec } = await import('./fleet-exec.js');
      return await runFleetExec(command, api, io);
    }
    if (command.cmd === 'cancel' || command.cmd === 'result') {
      const { runCancel, runResult } = await import('./exec-control.js');
      return await (command.cmd === 'cancel' ? runCancel(command, api, io) : runResult(command, api, io));
    }
    if (command.cmd === 'audit') {
      const { runAudit } = await import('./audit.js');
      return await runAudit(command, api, io.stdout);
    }
    if (command.cmd === 'enroll') {
      const { runEnroll } = await import('./enroll.js');
      return await runEnroll(command, api, io);
    }
    const { runAdmin } = await import('./admin.js');
    return await runAdmin(command, api, io.stdout, io.confirm);
  } catch (e) {
    return reportFailure(cmd, e, io.stderr);
  } finally {
    api?.close();
  }
}
