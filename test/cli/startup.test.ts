import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, requireBuild } from './e2e-helpers.js';
import { FAKE_TOKEN, nodeView, startFakeApi, type FakeApi } from './fake-api.js';
import { tempDir } from '../support/temp.js';

/**
 * Start-up cost is measured in `npm run bench` (bench/cli.ts); here, what it comes from: the
 * modules a command loads, recorded by a module loader hook in the CLI's own process.
 */
const dir = tempDir('hc-modules-');
const HOOKS = join(dir, 'hooks.mjs');
const REGISTER = join(dir, 'register.mjs');
writeFileSync(HOOKS, `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (!url.startsWith('node:')) appendFileSync(process.env.HC_MODULE_LOG, url + '\\n');
  return next(url, context);
}
`);
writeFileSync(REGISTER, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(HOOKS).href)});\n`);

let runs = 0;
/** Runs the built CLI; its exit code and the files of every module it loaded. */
function modulesOf(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; modules: string[] }> {
  const log = join(dir, `run-${++runs}.log`);
  writeFileSync(log, '');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HYDRACLUSTER_HOME: tempDir('hc-home-'), HC_MODULE_LOG: log, ...env };
  if (!env.HC_SERVER) delete childEnv.HC_SERVER;
  if (!env.HC_TOKEN) delete childEnv.HC_TOKEN;
  const child = spawn(process.execPath, ['--import', pathToFileURL(REGISTER).href, MAIN, ...args], { env: childEnv, stdio: 'ignore' });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) })));
}

const HEAVY = [/node_modules\/zod\//, /node_modules\/yaml\//, /dist\/src\/config\.js$/, /dist\/src\/wire\/(?!constants\.js$)/]; // wire/constants.js: plain values, no zod
const heavyIn = (modules: string[]) => modules.filter((m) => HEAVY.some((h) => h.test(m)));

describe('what each command loads at start', () => {
  let api: FakeApi;
  beforeAll(async () => {
    requireBuild();
    api = await startFakeApi({ result: { stdout: 'hi\n' } });
  });
  afterAll(() => api?.close());

  it('when version or help runs, then it loads no zod, no yaml, no config module and no wire schema', async () => {
    for (const cmd of ['version', 'help']) {
      const r = await modulesOf([cmd]);
      expect(r.code, cmd).toBe(0);
      expect(r.modules.length, cmd).toBeGreaterThan(0);
      expect(heavyIn(r.modules), cmd).toEqual([]);
    }
  });

  it('when exec gets server and token from flags or HC_SERVER / HC_TOKEN, then it loads no zod, no yaml, no config module (given an id or a name)', async () => {
    const viaFlags = await modulesOf(['exec', nodeView(0).id, 'echo hi', '--server', api.url, '--admin-token', FAKE_TOKEN]);
    expect(viaFlags.code).toBe(0);
    expect(heavyIn(viaFlags.modules)).toEqual([]);
    const viaEnv = await modulesOf(['exec', nodeView(0).name, 'echo hi'], { HC_SERVER: api.url, HC_TOKEN: FAKE_TOKEN });
    expect(viaEnv.code).toBe(0);
    expect(heavyIn(viaEnv.modules)).toEqual([]);
  });

  it('when exec has to read config.yaml for its token, then it loads yaml, but still no zod and no config module', async () => {
    const home = tempDir('hc-home-');
    writeFileSync(join(home, 'config.yaml'), `server:\n  admin_token: ${FAKE_TOKEN}\n`);
    const r = await modulesOf(['exec', nodeView(0).id, 'echo hi', '--server', api.url, '--home', home]);
    expect(r.code).toBe(0);
    expect(heavyIn(r.modules).every((m) => m.includes('node_modules/yaml/'))).toBe(true);
    expect(heavyIn(r.modules).length).toBeGreaterThan(0);
  });
});
