/**
 * The self-update procedure (docs/api.md#agent-self-update) on its own: a small loopback server stands in for the
 * server's /downloads/, shell scripts stand in for the agent's builds (a "binary" that answers
 * `probe`). The end-to-end run with real single executables is test/agent/self-update-e2e.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SWAP_MARKER_FILE, UPDATE_DIR, releasePlatform, selfUpdate, takeSwapMarker, type SelfUpdateDeps } from '../../src/agent/self-update.js';
import { oldPathFor, rollback } from '../../src/agent/swap.js';
import { memoryLogger } from '../../src/log.js';
import type { AgentUpdate } from '../../src/wire/agent.js';
import { tempDir } from './agent-process.js';

/** A stand-in executable: `probe` prints the probe line of `version` (or fails), anything else prints the version. */
const script = (version: string, probeExit = 0) =>
  `#!/bin/sh\nif [ "$1" = probe ]; then\n  [ ${probeExit} -ne 0 ] && { echo "cannot start: broken build" >&2; exit ${probeExit}; }\n  echo '{"probe":"ok","version":"${version}","node_id":"node-x"}'; exit 0\nfi\necho "hydranode ${version}"\n`;

/** A file the stand-in server starts sending and never finishes. */
const STALLED = 'hydranode-S-linux-amd64';
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

describe('self-update', () => {
  const files = new Map<string, string>();
  let server: Server;
  let url: string;

  /** Publishes a release: its files and a manifest (with `lie` as the SHA-256 when given). */
  function publish(version: string, body: string, opts: { lie?: string; name?: string } = {}): void {
    const name = opts.name ?? `hydranode-${version}-linux-amd64`;
    files.set(name, body);
    files.set('manifest.json', JSON.stringify({ version, files: [{ platform: 'linux-amd64', name, size: Buffer.byteLength(body), sha256: opts.lie ?? sha(body) }] }));
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const name = decodeURIComponent(req.url!.replace(/^\/downloads\//, ''));
      if (name === STALLED) return void res.writeHead(200).write('#!/bin/sh\n'); // and never ends
      const body = files.get(name);
      res.writeHead(body === undefined ? 404 : 200).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** An installed agent at version A in a temp folder, and the deps of one update run. */
  function installed(over: Partial<SelfUpdateDeps> = {}) {
    const dir = tempDir('hn-upd-');
    const binary = join(dir, 'hydranode');
    writeFileSync(binary, script('A'), { mode: 0o755 });
    const reports: AgentUpdate[] = [];
    let swapsAnnounced = 0;
    const deps: SelfUpdateDeps = {
      home: join(dir, 'home'), serverUrl: url, binary, version: 'A', platform: 'linux', arch: 'x64',
      log: memoryLogger(), env: process.env, signal: new AbortController().signal,
      report: (u) => reports.push(u), beforeSwap: () => swapsAnnounced++, ...over,
    };
    return { dir, binary, deps, reports, swaps: () => swapsAnnounced, states: () => reports.map((r) => r.state) };
  }

  const untouched = (a: ReturnType<typeof installed>) => {
    expect(readFileSync(a.binary, 'utf8')).toBe(script('A'));
    expect(existsSync(oldPathFor(a.binary))).toBe(false);
    expect(existsSync(join(a.deps.home, SWAP_MARKER_FILE))).toBe(false);
    expect(readdirSync(join(a.deps.home, UPDATE_DIR))).toEqual([]);
    expect(a.swaps()).toBe(0);
  };

  it('when the release is another version, then it is downloaded, checked, probed and swapped in, the old one kept as .old', async () => {
    publish('B', script('B'));
    const a = installed();
    expect(await selfUpdate(a.deps)).toBe('swapped');
    expect(a.states()).toEqual(['downloading', 'probing', 'swapped']);
    expect(a.reports.every((r) => r.target_version === 'B')).toBe(true);
    expect(readFileSync(a.binary, 'utf8')).toBe(script('B'));
    expect(readFileSync(join(a.dir, 'hydranode.old'), 'utf8')).toBe(script('A'));
    expect(a.swaps()).toBe(1);
    expect(readdirSync(join(a.deps.home, UPDATE_DIR))).toEqual([]); // the 100 MB download does not stay
    // The process the service starts next reports the swap from the marker, once.
    expect(takeSwapMarker(a.deps.home, 'B')).toMatchObject({ state: 'swapped', target_version: 'B', message: 'updated from A to B; running' });
    expect(takeSwapMarker(a.deps.home, 'B')).toBeNull();
  });

  it('when the manifest\u2019s SHA-256 is wrong, then it fails with the reason and the running binary stays', async () => {
    publish('B', script('B'), { lie: 'f'.repeat(64) });
    const a = installed();
    expect(await selfUpdate(a.deps)).toBe('failed');
    expect(a.states()).toEqual(['downloading', 'failed']);
    expect(a.reports.at(-1)!.message).toMatch(/^checksum mismatch: the manifest says sha256 f{64}, the download has [0-9a-f]{64}$/);
    untouched(a);
  });

  it('when the new file passes the checksum but cannot start, then the probe fails with its output and the running binary stays', async () => {
    publish('B', script('B', 1));
    const a = installed();
    expect(await selfUpdate(a.deps)).toBe('failed');
    expect(a.states()).toEqual(['downloading', 'probing', 'failed']);
    expect(a.reports.at(-1)!.message).toBe('the new file failed its probe (exited 1): cannot start: broken build');
    untouched(a);
  });

  it('when the agent stops during the download, then nothing is swapped, the partial file is gone, and the report says it was stopped', async () => {
    files.set('manifest.json', JSON.stringify({ version: 'S', files: [{ platform: 'linux-amd64', name: STALLED, size: 1000, sha256: 'a'.repeat(64) }] }));
    const stopping = new AbortController();
    const a = installed({ signal: stopping.signal, report: (u) => { a.reports.push(u); if (u.state === 'downloading') setTimeout(() => stopping.abort(), 200); } });
    expect(await selfUpdate(a.deps)).toBe('failed');
    expect(a.reports.at(-1)!.message).toMatch(/^stopped before it finished: /);
    untouched(a);
  });

  it('when the new file says another version than the manifest, then it is not swapped in', async () => {
    publish('B', script('C'));
    const a = installed();
    expect(await selfUpdate(a.deps)).toBe('failed');
    expect(a.reports.at(-1)!.message).toBe('the new file says it is version C, the manifest says B');
    untouched(a);
  });

  it('when the agent runs from node (no single executable), the server has no manifest, or it already runs the release, then nothing is swapped and the first two say why', async () => {
    publish('B', script('B'));
    const dev = installed({ binary: null });
    expect(await selfUpdate(dev.deps)).toBe('failed');
    expect(dev.reports).toEqual([expect.objectContaining({ state: 'failed', target_version: null, message: expect.stringContaining('single-executable') })]);
    const current = installed({ version: 'B' });
    expect(await selfUpdate(current.deps)).toBe('current');
    expect(current.reports).toEqual([]);
    files.delete('manifest.json');
    const none = installed();
    expect(await selfUpdate(none.deps)).toBe('failed');
    expect(none.reports.at(-1)!.message).toBe("cannot read the server's release manifest: GET /downloads/manifest.json: the server answered 404");
  });

  it('when the service starts a process of another version than the swap put in, then that is reported as failed', () => {
    const a = installed();
    writeFileSync(join(a.dir, SWAP_MARKER_FILE), JSON.stringify({ from: 'A', to: 'B' }));
    expect(takeSwapMarker(a.dir, 'A')).toMatchObject({ state: 'failed', target_version: 'B', message: expect.stringContaining('runs A') });
  });

  it('when rolled back, then the binary and its .old change places; with no .old it refuses', async () => {
    const dir = tempDir('hn-rb-');
    const bin = join(dir, 'hydranode.exe');
    expect(oldPathFor(bin)).toBe(join(dir, 'hydranode.old.exe'));
    writeFileSync(bin, 'new');
    await expect(rollback(bin)).rejects.toThrow(/hydranode\.old\.exe does not exist/);
    writeFileSync(oldPathFor(bin), 'old');
    await rollback(bin);
    expect([readFileSync(bin, 'utf8'), readFileSync(oldPathFor(bin), 'utf8')]).toEqual(['old', 'new']);
  });

  it('maps platforms to release names; other platforms have no build', () => {
    expect([releasePlatform('linux', 'x64'), releasePlatform('win32', 'x64'), releasePlatform('darwin', 'arm64'), releasePlatform('linux', 'arm64')])
      .toEqual(['linux-amd64', 'windows-amd64', null, null]);
  });
});
