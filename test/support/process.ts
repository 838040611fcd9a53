/**
 * Runs the real `hydracluster serve` as a child process on a loopback port chosen by the OS, with
 * a config.yaml carrying known test tokens. Used by crash, shutdown and end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { defaultConfigDocument } from '../../src/config.js';
import { ADMIN, FLEET } from './harness.js';
import { tempDir } from './temp.js';

export const CLI = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it in pretest)`);
}

export function makeHome(overrides: (doc: any) => void = () => {}): string {
  const home = tempDir('hc-proc-');
  mkdirSync(home, { recursive: true });
  const doc: any = defaultConfigDocument();
  doc.server.admin_token = ADMIN;
  doc.server.fleet_enrollment_token = FLEET;
  doc.server.rate_limit_per_min = 100_000;
  doc.server.log_format = 'json';
  doc.roles['plain-role'] = { description: 'role without provider', recipe: { bash: 'true', check_bash: 'true' } };
  overrides(doc);
  writeFileSync(join(home, 'config.yaml'), stringify(doc), { mode: 0o600 });
  return home;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startServerProcess(home: string, extraArgs: string[] = []): Promise<ServerProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, 'serve', '--home', home, '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"msg":"hydracluster listening","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  return { url, child, output: () => out, exited };
}

/** fetch against the server with the admin token unless another is given. */
export async function call(url: string, method: string, path: string, body?: unknown, token: string | null = ADMIN): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
