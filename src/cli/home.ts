/**
 * The home folder rule, for the CLI's entry point without loading src/config.ts (which brings
 * yaml and zod): the same rule as config.ts's resolveHome, which a test holds them to.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Home folder: `--home`, else `HYDRACLUSTER_HOME`, else `~/.hydracluster` (SPEC §3). */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.HYDRACLUSTER_HOME ?? join(homedir(), '.hydracluster'));
}
