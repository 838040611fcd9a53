/**
 * The home folder rule (docs/operations.md#the-home-folder), on its own so that the CLI's entry point has it without loading
 * src/config.ts (which brings yaml and zod). config.ts re-exports it.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Home folder: `--home`, else `HYDRACLUSTER_HOME`, else `~/.hydracluster` (docs/operations.md#the-home-folder). */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.HYDRACLUSTER_HOME ?? join(homedir(), '.hydracluster'));
}
