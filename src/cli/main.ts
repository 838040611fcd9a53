#!/usr/bin/env node
/**
 * `hydracluster`: the server (`serve`) and the operator's client commands.
 * Exit codes follow sysexits (docs/operations.md#the-cli): 64 usage, 66 unknown node/exec, 69 unreachable,
 * 77 token refused, 70 internal.
 *
 * This entry point imports only what every command needs (no zod, no yaml, no config module):
 * `version` and `help` load nothing more, a client command loads ./run.js, `serve` the server.
 */
import { parseArgs } from 'node:util';
import { CLIENT_COMMANDS } from './args.js';
import { resolveHome } from '../home.js';
import { guardedOut } from './output.js';
import { EX_CONFIG, EX_SOFTWARE, EX_USAGE } from '../sysexits.js';
import { VERSION } from '../version.js';


const USAGE = `usage: hydracluster <command> [options]

  serve [--home DIR] [--listen HOST:PORT]   run the server
  version                                   print the version
  exec <nodeId> "<command>" [--timeout 60s] [--json] [--async] [--interpreter bash|powershell|cmd]
  exec <nodeId> --file ./setup.ps1 [--timeout 60s]
  exec --where KEY=VALUE[,KEY=VALUE] "<command>" [--timeout 60s] [--json]   every node that matches
       (keys: role district venue kind state id all; 0 all ok, 1 any failed or all skipped,
       124 any timed out, 66 no node matches)
  exec --shell <nodeId> "<command>" [--timeout 60s]   through a WebSocket PTY, not the exec queue
  result EXEC_ID [--wait] [--json]          an exec's output and exit code, as exec prints them
       (not finished: 124; --wait: until it is, and a cancelled one's output so far has come)
  cancel EXEC_ID [--json]                   cancel an exec; a running one's process group is killed
  shell <nodeId> [command]                  interactive PTY on the node
  queue <nodeId> [show|clear]
  nodes list [--state S] [--kind K] [--role R] [--district D] [--venue V]   filtered by the server
  nodes [show ID|roles ID R...|set ID KEY=VALUE...|drain ID [--reason R]|undrain ID|update-node ID|update-services ID|reprovision ID [--yes]|reenroll ID|rm ID [--yes]]
       (list marks with * an agent on another version than the server's release; set takes name=,
       owner=, district=, venue=; rm and reprovision ask on a terminal unless --yes; reenroll prints
       install commands whose token, redeemed, keeps the node and stops its old token)
  enroll NAME [--os windows|linux|macos] [--kind body|flatscreen|windows] [--owner O] [--ttl 15m]
                                            an enrollment and its install commands
  heads [list|show ID|assign HEAD BODY|none [--app Desktop]]
  enroll-qr [--png FILE]                    the iPad enrollment QR, in the terminal or as a PNG
  debug [actors|actor ID|requests]
  reload                                    re-read the server's config.yaml (no restart)
  backup [--out FILE]                       the server writes a consistent nodes.yaml (0600) into <home>/backups/
                                            or FILE (absolute, on the server's host); prints path, size, SHA-256
  audit [--node ID] [--operator NAME] [--since 1h] [--limit N] [--json]   who changed what (newest first)

  Wherever a node ID goes, a unique node name does too (several nodes with it: 64, listed).
  Client commands take --server URL and --admin-token T (else HC_SERVER / HC_TOKEN, else the
  config.yaml in --home / HYDRACLUSTER_HOME / ~/.hydracluster). exec waits for the result until
  --timeout (default 60s) plus 5 s, for the node's own timed_out report; then an exec the node never
  fetched is cancelled (the CLI says why), a running one is left running. Exit codes: the remote
  exit code for exec, 124 exec timeout, 64 usage, 66 unknown node or exec, 69 server unreachable,
  77 token refused, 70 other errors; a closed stdout (| head) changes none of them.
`;

async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { home: { type: 'string' }, listen: { type: 'string' } }, strict: true });
  const home = resolveHome(values.home);
  // Loaded here so that client commands start without the server's code.
  const { startServer, listenProblem, ListenError } = await import('../server.js');
  const badListen = values.listen === undefined ? null : listenProblem(values.listen);
  if (badListen) {
    process.stderr.write(`hydracluster: --listen ${JSON.stringify(values.listen)}: ${badListen}\n`);
    return EX_USAGE;
  }
  const running = await startServer({ home, listen: values.listen }).catch((e: unknown) => {
    if (!(e instanceof ListenError)) throw e;
    process.stderr.write(`hydracluster: ${e.message}\n`);
    return e;
  });
  if (running instanceof ListenError) return running.exitCode;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      running.core.log.info('signal received', { signal: sig });
      running.stop().then(resolve, (e) => {
        running.core.log.error('shutdown failed', { error: (e as Error).message });
        resolve();
      });
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGHUP', () => {
      running.core.log.info('signal received', { signal: 'SIGHUP' });
      void running.hangup();
    });
  });
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve':
        return await serveCommand(rest);
      case 'version':
      case '--version':
        guardedOut(process.stdout).write(`hydracluster ${VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
        guardedOut(process.stdout).write(USAGE);
        return cmd === undefined ? EX_USAGE : 0;
      default:
        // The shell (and its `ws` import) is loaded only when asked for.
        if (cmd === 'shell' || (cmd === 'exec' && rest.includes('--shell'))) {
          const { runShellCommand } = await import('./shell-command.js');
          return await runShellCommand(cmd, rest, { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
        }
        if (CLIENT_COMMANDS.includes(cmd)) {
          const { processIo, runClient } = await import('./run.js');
          return await runClient(cmd, rest, processIo(process.env));
        }
        process.stderr.write(`hydracluster: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
        return EX_USAGE;
    }
  } catch (e) {
    // Only `serve` reads config.yaml through src/config.ts, so only its failures can be a ConfigError.
    if (cmd === 'serve' && e instanceof (await import('../config.js')).ConfigError) {
      process.stderr.write(`hydracluster: ${e.message}\n`);
      return EX_CONFIG;
    }
    if (e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`hydracluster: ${e.message}\n${USAGE}`);
      return EX_USAGE;
    }
    process.stderr.write(`hydracluster: ${(e as Error).message}\n`);
    return EX_SOFTWARE;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
