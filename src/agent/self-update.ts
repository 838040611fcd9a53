/**
 * Self-update on the `update_node` flag (docs/api.md#agent-self-update), with no hook: read the server's release
 * manifest; when its version is not this agent's, download this platform's file into the data
 * folder, check its size and SHA-256, run it once as `<new> probe --home <home>` (it must start,
 * read the config and reach the server), and only then swap it in (./swap.ts). The caller then
 * exits so that the service starts the new file, which reports the outcome from the marker left
 * here (./swap-marker.ts). Loaded only when an update runs: it needs zod (the manifest's schema),
 * which an idle agent does not load. Every step is reported (`agent_update` in the heartbeat); a failure at any step leaves the
 * running binary untouched and says why.
 */
import { rmSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { AgentUpdate } from '../wire/agent.js';
import { fileFor, releaseManifest, type ReleaseManifest, type ReleasePlatform } from '../wire/release.js';
import { downloadFile, downloadUrl, fetchText } from './download.js';
import { runCommand } from './exec-runner.js';
import { swapInto } from './swap.js';
import { cutMessage as cut, SWAP_MARKER_FILE, writeSwapMarker } from './swap-marker.js';

/** Downloads wait here (inside the agent's home) until probed and swapped in. */
export const UPDATE_DIR = 'update';
/** The probe run of a new file gets this long. */
export const PROBE_TIMEOUT_MS = 60_000;
/** The last line a passing probe prints on stdout. */
export interface ProbeLine {
  probe: 'ok';
  version: string;
  node_id: string;
}

export { SWAP_MARKER_FILE, takeSwapMarker } from './swap-marker.js';

export type UpdateOutcome = 'current' | 'swapped' | 'failed';

export interface SelfUpdateDeps {
  home: string;
  serverUrl: string;
  /** The running single executable, or null when the agent runs as `node …/main.js` (no file to replace). */
  binary: string | null;
  version: string;
  platform: NodeJS.Platform;
  arch: string;
  log: Logger;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Each step as the heartbeat will carry it. */
  report(update: AgentUpdate): void;
  /** Called right before the swap: from here on the new process owes the flag's ack. */
  beforeSwap(): void;
  probeTimeoutMs?: number;
}

/** A failure whose message is already the sentence the operator reads. */
class UpdateFailed extends Error {}

/** This host's platform in release manifests, or null when no build exists for it. */
export function releasePlatform(platform: NodeJS.Platform, arch: string): ReleasePlatform | null {
  if (arch !== 'x64') return null;
  if (platform === 'linux') return 'linux-amd64';
  return platform === 'win32' ? 'windows-amd64' : null;
}

const tail = (s: string, n = 400): string => s.trim().slice(-n);

async function readManifest(serverUrl: string, signal: AbortSignal): Promise<ReleaseManifest> {
  const url = downloadUrl(serverUrl, 'manifest.json');
  let text: string;
  try {
    text = await fetchText(url, signal);
  } catch (e) {
    throw new UpdateFailed(`cannot read the server's release manifest: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UpdateFailed(`the server's release manifest (${url.pathname}) is not JSON`);
  }
  const r = releaseManifest.safeParse(data);
  if (!r.success) throw new UpdateFailed(`the server's release manifest is not valid at ${r.error.issues[0]?.path.join('.') || 'top level'}`);
  return r.data;
}

/** Runs `<file> probe --home <home>`: exit 0 and a last line naming the manifest's version. */
async function probe(file: string, d: SelfUpdateDeps, target: string): Promise<void> {
  const o = await runCommand({
    launch: { file, args: ['probe', '--home', d.home] },
    timeoutMs: d.probeTimeoutMs ?? PROBE_TIMEOUT_MS,
    env: d.env,
    signal: d.signal,
  });
  if (o.exitCode !== 0 || o.timedOut) {
    const how = o.timedOut ? `did not finish within ${(d.probeTimeoutMs ?? PROBE_TIMEOUT_MS) / 1000} s` : `exited ${o.exitCode}`;
    throw new UpdateFailed(`the new file failed its probe (${how}): ${tail(o.stderr || o.stdout) || 'no output'}`);
  }
  let line: Partial<ProbeLine> = {};
  try {
    line = JSON.parse(o.stdout.trim().split('\n').at(-1) ?? '') as Partial<ProbeLine>;
  } catch {
    // judged below
  }
  if (line.probe !== 'ok') throw new UpdateFailed(`the new file's probe exited 0 but did not report success: ${tail(o.stdout) || 'no output'}`);
  if (line.version !== target) throw new UpdateFailed(`the new file says it is version ${line.version}, the manifest says ${target}`);
}

/** One self-update; never throws. */
export async function selfUpdate(d: SelfUpdateDeps): Promise<UpdateOutcome> {
  let target: string | null = null;
  const say = (state: AgentUpdate['state'], message: string) =>
    d.report({ state, target_version: target, message: cut(message), at: new Date().toISOString() });
  try {
    if (d.binary === null) {
      throw new UpdateFailed('self-update needs the single-executable agent; this one runs from a Node.js install (node …/main.js): install the executable from the server\'s /downloads/, or set update_command');
    }
    const key = releasePlatform(d.platform, d.arch);
    if (key === null) throw new UpdateFailed(`no release is built for ${d.platform}-${d.arch}`);
    const manifest = await readManifest(d.serverUrl, d.signal);
    target = manifest.version;
    if (manifest.version === d.version) {
      d.log.info('update_node: this agent already runs the server\'s release', { version: d.version });
      return 'current';
    }
    const file = fileFor(manifest, key);
    if (!file) throw new UpdateFailed(`the server's release ${target} has no ${key} file`);
    say('downloading', `downloading ${file.name} (${file.size} bytes) to go from ${d.version} to ${target}`);
    d.log.info('self-update: downloading', { from: d.version, to: target, file: file.name, size: file.size });
    const dir = join(d.home, UPDATE_DIR);
    await rm(dir, { recursive: true, force: true }); // what an interrupted attempt left
    await mkdir(dir, { recursive: true });
    const fresh = join(dir, file.name);
    try {
      const got = await downloadFile(downloadUrl(d.serverUrl, file.name), fresh, d.signal, file.size);
      if (got.size !== file.size) throw new UpdateFailed(`size mismatch: the manifest says ${file.size} bytes, the download has ${got.size}`);
      if (got.sha256 !== file.sha256) throw new UpdateFailed(`checksum mismatch: the manifest says sha256 ${file.sha256}, the download has ${got.sha256}`);
      await chmod(fresh, 0o755);
      say('probing', `running ${file.name} probe`);
      await probe(fresh, d, target);
      d.beforeSwap();
      writeSwapMarker(d.home, { from: d.version, to: target });
      try {
        const { old } = await swapInto(d.binary, fresh);
        say('swapped', `${d.binary} is now ${target} (${d.version} kept as ${old}); restarting through the service`);
        d.log.info('self-update: swapped; exiting so that the service starts the new version', { from: d.version, to: target, old });
      } catch (e) {
        rmSync(join(d.home, SWAP_MARKER_FILE), { force: true });
        throw new UpdateFailed(`cannot swap ${d.binary}: ${(e as Error).message}`);
      }
    } finally {
      await rm(fresh, { force: true });
    }
    return 'swapped';
  } catch (e) {
    const message = e instanceof UpdateFailed ? e.message : `self-update failed: ${(e as Error).message}`;
    say('failed', d.signal.aborted ? `stopped before it finished: ${message}` : message);
    d.log.error('self-update failed; this version keeps running', { from: d.version, to: target, reason: message });
    return 'failed';
  }
}
