/**
 * End-to-end helpers: the real server and the real CLI as child processes (from dist/, built by
 * `npm test`'s pretest), over a temp home folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { tempDir } from '../support/temp.js';

export const MAIN = resolve(import.meta.dirname, '../../dist/src/cli/main.js');
export const E2E_ADMIN = 'hca_e2e-admin-token-0123456789abcdef';
const STARTUP_TIMEOUT_MS = 15_000;
const KEPT_LOG_LINES = 200;

/** Fails with a clear message when the build the e2e tests run is missing. */
export function requireBuild(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -p tsconfig.json\` (or \`npm test\`, which builds first)`);
}

/** A home folder with a config.yaml whose admin token the tests know. */
export function e2eHome(): string {
  const home = tempDir('hc-e2e-');
  writeFileSync(
    join(home, 'config.yaml'),
    ['server:', '  listen: 127.0.0.1:0', `  admin_token: "${E2E_ADMIN}"`, '  fleet_enrollment_token: "hcf_e2e-fleet-token-0123456789abcdef"', '  rate_limit_per_min: 1000', ''].join('\n'),
    { mode: 0o600 },
  );
  return home;
}

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  log: string[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `hydracluster serve` on port 0 and reads the URL from its "listening" log line. */
export function startServerProcess(home: string): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [MAIN, 'serve', '--home', home, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log.join('\n')}`)), STARTUP_TIMEOUT_MS);
    proc.stderr!.on('data', (d) => log.push(String(d)));
    void exited.then((code) => reject(new Error(`server exited with ${code}:\n${log.join('\n')}`)));
    // Keep reading stdout for the whole life of the server, or its log writes would block.
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      log.push(line);
      if (log.length > KEPT_LOG_LINES) log.shift();
      let rec: { msg?: string; url?: string } = {};
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (rec.msg === 'hydracluster listening' && rec.url) {
        clearTimeout(timer);
        const stop = () => {
          proc.kill('SIGTERM');
          return exited;
        };
        resolveStart({ url: rec.url, proc, log, stop });
      }
    });
  });
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI; the environment carries no HC_* and an empty home, so only flags count. */
export function runCli(args: string[]): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, HYDRACLUSTER_HOME: tempDir('hc-cli-home-') };
  delete env.HC_SERVER;
  delete env.HC_TOKEN;
  const proc = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) => proc.once('close', (code) => r({ code, stdout, stderr })));
}
