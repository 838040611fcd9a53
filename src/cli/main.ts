#!/usr/bin/env node
/**
 * `hydracluster`: the server (`serve`) and the operator's client commands.
 * Exit codes follow sysexits (SPEC §12): 64 usage, 66 unknown node/exec, 69 unreachable,
 * 77 token refused, 70 internal.
 */
import { parseArgs } from 'node:util';
import { resolveHome, ConfigError } from '../config.js';
import { startServer } from '../server.js';
import { VERSION } from '../version.js';

export const EX_USAGE = 64;
export const EX_SOFTWARE = 70;
export const EX_CONFIG = 78;

const USAGE = `usage: hydracluster <command> [options]

  serve [--home DIR] [--listen HOST:PORT]   run the server
  version                                   print the version
`;

async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { home: { type: 'string' }, listen: { type: 'string' } }, strict: true });
  const home = resolveHome(values.home);
  const running = await startServer({ home, listen: values.listen });
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
        process.stdout.write(`hydracluster ${VERSION}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return cmd === undefined ? EX_USAGE : 0;
      default:
        process.stderr.write(`hydracluster: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
        return EX_USAGE;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
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
