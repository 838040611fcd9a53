#!/usr/bin/env node
/**
 * `hydranode`: the reference node agent (docs/operations.md#the-agent). `install` registers the node, `run` is the
 * long-running agent (heartbeat, exec, provisioning), `sim` simulates a fleet for load tests.
 * Exit codes follow sysexits: 64 usage, 69 server unreachable, 77 token refused, 78 bad config.
 */
import { dirname, join, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';
import { NodeAgent } from './agent.js';
import { ApiClient, ApiError } from './api-client.js';
import { AgentConfigError, LOG_FILE, loadAgentConfig, resolveAgentHome } from './config.js';
import { EX_CANTCREAT, EX_CONFIG, EX_NOINPUT, EX_NOPERM, EX_SOFTWARE, EX_UNAVAILABLE, EX_USAGE } from '../sysexits.js';
import { RotatingFileSink, stdoutSink, teeSink } from './log-sink.js';
import type { ProbeLine } from './self-update.js';
import { rollback } from './swap.js';

const USAGE = `usage: hydranode <command> [options]

  install [--server URL --enroll-token T] [--home DIR] [--no-service]
        register this node with the server (writes <home>/config.yaml, mode 0600), then install
        and start the service (Linux: systemd unit hydranode; Windows: scheduled task HydraNode).
        Without a token: an existing config only (re)installs the service; with no config,
        enroll.yaml (server:, token:) beside the program or in the home is used
  run [--home DIR]
        heartbeat, remote exec and role provisioning until SIGTERM; after a self-update it exits 75
        so that its service starts the new version
  probe [--home DIR]
        read the config and reach the server once (what a self-update asks of a new version)
  rollback [--binary PATH]
        put back the version a self-update replaced (hydranode.old / hydranode.old.exe next to
        this executable), then restart the service
  sim --server URL --admin-token T --count N [--exec-latency-ms M] [--concurrency C] [--long-poll]
      [--interval S] [--duration S] [--max-sockets K]
        N simulated agents in one process, for load tests (JSON lines on stdout); --max-sockets
        sizes the pool of short requests (default 128), --long-poll adds one socket per node
  version

Home: --home, else $HYDRANODE_HOME, else ~/.hydranode (Windows: the SYSTEM profile's .hydranode,
%SystemRoot%\\System32\\config\\systemprofile\\.hydranode). Logs: <home>/hydranode.log and stdout.
update_node (the admin flag) updates this executable to the server's release by itself;
config.yaml may set update_command to run a hook instead.
`;

const str = { type: 'string' } as const;

/** A positive integer option, or a usage error naming it. */
function intOption(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

class UsageError extends Error {}

function required(name: string, value: string | undefined): string {
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

/** How a service starts this program: the single executable itself, else Node and this script. */
function thisProgram(): string[] {
  return isSea() ? [process.execPath] : [process.execPath, resolve(process.argv[1]!)];
}

async function installCommand(argv: string[]): Promise<number> {
  const options = { server: str, 'enroll-token': str, home: str, 'no-service': { type: 'boolean' } } as const;
  const { values } = parseArgs({ args: argv, options, strict: true });
  const home = resolveAgentHome(values.home, process.env);
  const program = thisProgram();
  // install and sim are loaded when run: `hydranode run` stays small (bench agent-rss).
  const { install } = await import('./install.js');
  return install({
    server: values.server,
    enrollToken: values['enroll-token'],
    home,
    service: values['no-service'] ? null : { program, home },
    // enroll.yaml beside the single executable (C:\hydranode\enroll.yaml), or in the home folder.
    enrollDirs: [...(isSea() ? [dirname(process.execPath)] : []), home],
    serviceDeps: { systemRoot: process.env.SystemRoot },
  });
}

/** `run` exits with this after a self-update swapped its binary: the service starts the new one (EX_TEMPFAIL). */
export const EXIT_RESTART = 75;

/** The running single executable, or null when this is `node …/main.js` (nothing to replace). */
const runningBinary = (): string | null => (isSea() ? process.execPath : null);

/** Resolves on the first SIGTERM or SIGINT. */
const untilSignal = (onSignal: (sig: string) => void): Promise<void> =>
  new Promise((resolve) => {
    const handler = (sig: NodeJS.Signals) => {
      onSignal(sig);
      resolve();
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  });

async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { home: str }, strict: true });
  const home = resolveAgentHome(values.home, process.env);
  const config = loadAgentConfig(home);
  const file = new RotatingFileSink(join(home, LOG_FILE));
  const log = createLogger({ format: 'json', level: config.log_level, sink: teeSink(file, stdoutSink()) });
  // The agent must outlive its own bugs: a stray rejection is logged, never fatal.
  process.on('unhandledRejection', (e) => log.error('unhandled rejection', { error: String(e) }));
  const agent = new NodeAgent({ home, config, log, env: process.env, client: new ApiClient(config.server_url, config.token), binary: runningBinary() });
  agent.start();
  const restart = await Promise.race([
    untilSignal((sig) => log.info('signal received', { signal: sig })).then(() => false),
    agent.restartRequested.then(() => true),
  ]);
  await agent.stop();
  log.flush();
  file.close();
  return restart ? EXIT_RESTART : 0;
}

/** `probe`: config read, one authenticated read of the server (the provision poll changes nothing), a JSON line. */
async function probeCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { home: str }, strict: true });
  const config = loadAgentConfig(resolveAgentHome(values.home, process.env));
  try {
    await new ApiClient(config.server_url, config.token).provision();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    process.stderr.write(`hydranode probe: ${config.server_url}: ${e.message}\n`);
    return e.status === 401 || e.status === 403 ? EX_NOPERM : EX_UNAVAILABLE;
  }
  const line: ProbeLine = { probe: 'ok', version: VERSION, node_id: config.node_id };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return 0;
}

async function rollbackCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { binary: str }, strict: true });
  const binary = values.binary ?? runningBinary();
  if (binary === null) throw new UsageError('this hydranode runs from Node.js, not as the single executable: give --binary PATH');
  let done;
  try {
    done = await rollback(binary);
  } catch (e) {
    process.stderr.write(`hydranode: rollback: ${(e as Error).message}\n`);
    return (e as NodeJS.ErrnoException).code === undefined ? EX_NOINPUT : EX_CANTCREAT;
  }
  process.stdout.write(
    `hydranode: ${done.restored} is the previous version again (the one rolled back from is ${done.old}).\n` +
      'Restart the service: `systemctl restart hydranode` (Linux), `schtasks /End /TN HydraNode` then `schtasks /Run /TN HydraNode` (Windows).\n',
  );
  return 0;
}

async function simCommand(argv: string[]): Promise<number> {
  const options = {
    server: str, 'admin-token': str, count: str, 'exec-latency-ms': str, concurrency: str,
    interval: str, duration: str, 'max-sockets': str, 'long-poll': { type: 'boolean' },
  } as const;
  const { values } = parseArgs({ args: argv, options, strict: true });
  const { DEFAULT_SIM_CONCURRENCY, DEFAULT_SIM_MAX_SOCKETS, runSim } = await import('./sim.js');
  const stop = new AbortController();
  void untilSignal(() => stop.abort());
  await runSim({
    server: required('server', values.server),
    adminToken: required('admin-token', values['admin-token']),
    count: intOption('count', required('count', values.count))!,
    execLatencyMs: intOption('exec-latency-ms', values['exec-latency-ms'], 0)!,
    concurrency: Math.max(1, intOption('concurrency', values.concurrency, DEFAULT_SIM_CONCURRENCY)!),
    maxSockets: Math.max(1, intOption('max-sockets', values['max-sockets'], DEFAULT_SIM_MAX_SOCKETS)!),
    intervalS: intOption('interval', values.interval),
    durationS: intOption('duration', values.duration),
    longPoll: values['long-poll'] === true,
    signal: stop.signal,
    out: (line) => void process.stdout.write(`${line}\n`),
  });
  return 0;
}

/** Runs one `hydranode` command; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'install':
        return await installCommand(rest);
      case 'run':
        return await runCommand(rest);
      case 'sim':
        return await simCommand(rest);
      case 'probe':
        return await probeCommand(rest);
      case 'rollback':
        return await rollbackCommand(rest);
      case 'version':
      case '--version':
        process.stdout.write(`hydranode ${VERSION}\n`);
        return 0;
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return 0;
      default:
        process.stderr.write(cmd === undefined ? USAGE : `hydranode: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
        return EX_USAGE;
    }
  } catch (e) {
    if (e instanceof AgentConfigError) {
      process.stderr.write(`hydranode: ${e.message}\n`);
      return EX_CONFIG;
    }
    const parseError = e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS');
    if (e instanceof UsageError || parseError) {
      process.stderr.write(`hydranode: ${(e as Error).message}\n${USAGE}`);
      return EX_USAGE;
    }
    process.stderr.write(`hydranode: ${(e as Error).message}\n`);
    return EX_SOFTWARE;
  }
}

// Exit once stdout is flushed: a keep-alive socket or a kill timer must not hold the process open.
void main(process.argv.slice(2)).then((code) => process.stdout.write('', () => process.exit(code)));
