/**
 * `BENCH_ONLY=agent`: the built agent's idle memory. The Linux single executable (dist/release, as
 * `npm ci` built it; built into the temp folder when missing) registers with a local server and
 * runs; after 60 s online its RSS is compared with a bare `node -e 'setInterval(()=>{},1e3)'`
 * started beside it (target ≤ 1.3×). A single executable that only idles (the same Node, no agent)
 * is measured too: the part of the agent's RSS that is Node's single-executable start-up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, CLI, freePort, spawnLogged, stopChild, track, waitForHttp } from './children.js';
import { writeConfig } from './fixtures.js';
import { median, mib, table, verdict } from './report.js';

export const AGENT_IDLE_S = 60;
export const TARGET_RSS_RATIO = 1.3;
const SAMPLES = 5;
const RELEASE = join(BENCH_DIR, '..', 'release');
const BUILDER = join(BENCH_DIR, '..', 'src', 'release', 'build-agent.js');

export interface AgentRssResult {
  agentKiB: number;
  bareNodeKiB: number;
  idleSeaKiB: number;
  agentVersion: string;
  idleS: number;
}

/** VmRSS of a process in KiB (Linux). */
function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

function run(file: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(file, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  return child;
}

const done = (c: ChildProcess): Promise<number | null> => new Promise((r) => c.once('exit', (code) => r(code)));

/** The Linux executable of dist/release, else one built now into `tmp`. */
async function linuxAgent(tmp: string): Promise<string> {
  try {
    const m = JSON.parse(readFileSync(join(RELEASE, 'manifest.json'), 'utf8')) as { files: Array<{ platform: string; name: string }> };
    const f = m.files.find((x) => x.platform === 'linux-amd64');
    if (f && existsSync(join(RELEASE, f.name))) return join(RELEASE, f.name);
  } catch {
    // no release yet
  }
  const out = join(tmp, 'release');
  const b = spawnLogged([], BUILDER, ['--only', 'linux-amd64', '--out', out], join(tmp, 'agent-build.log'));
  if ((await done(b)) !== 0) throw new Error(`build:agent failed (see ${join(tmp, 'agent-build.log')})`);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: Array<{ name: string }> };
  return join(out, m.files[0]!.name);
}

/** A single executable of the same Node whose script only idles. */
async function idleSea(tmp: string): Promise<string> {
  const { seaBlob, injectBlob } = await import('../src/release/sea.js');
  const script = join(tmp, 'idle.cjs');
  writeFileSync(script, 'setInterval(() => {}, 1000);\n');
  const exe = join(tmp, 'idle-sea');
  await injectBlob(process.execPath, await seaBlob(script, tmp), exe, { windows: false });
  return exe;
}

export async function agentRssBench(tmp: string, say: (s: string) => void): Promise<AgentRssResult> {
  const [agentExe, idleExe] = [await linuxAgent(tmp), await idleSea(tmp)];
  const home = join(tmp, 'agent-rss');
  const admin = writeConfig(home).server.admin_token;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = join(tmp, 'agent-rss.log');
  const server = spawnLogged([], CLI, ['serve', '--home', home, '--listen', `127.0.0.1:${port}`], log);
  const children: ChildProcess[] = [];
  try {
    await waitForHttp(`${base}/api/v1/health`, (s) => s === 200, { since: performance.now(), timeoutMs: 60_000, child: server });
    const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const enr = (await (await fetch(`${base}/api/v1/enrollments`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench-agent-rss', os: 'linux' }) })).json()) as { node_id: string; enrollment_token: string };
    const agentHome = join(tmp, 'agent-rss-node');
    const install = run(agentExe, ['install', '--no-service', '--server', base, '--enroll-token', enr.enrollment_token, '--home', agentHome], log);
    if ((await done(install)) !== 0) throw new Error(`hydranode install failed (see ${log})`);
    const agent = run(agentExe, ['run', '--home', agentHome], log);
    const bare = run(process.execPath, ['-e', 'setInterval(()=>{},1e3)'], log);
    const idle = run(idleExe, [], log);
    children.push(agent, bare, idle);
    const state = async () => ((await (await fetch(`${base}/api/v1/nodes/${enr.node_id}`, { headers })).json()) as { state: string; agent_version: string });
    for (let t0 = performance.now(); (await state()).state !== 'online'; await new Promise((r) => setTimeout(r, 100))) {
      if (performance.now() - t0 > 30_000 || agent.exitCode !== null) throw new Error(`the agent did not come online (see ${log})`);
    }
    say(`  agent ${agentExe} online; idling ${AGENT_IDLE_S} s`);
    await new Promise((r) => setTimeout(r, (AGENT_IDLE_S - SAMPLES) * 1000));
    const samples: number[][] = [];
    for (let i = 0; i < SAMPLES; i++) {
      samples.push([rssKiB(agent.pid!), rssKiB(bare.pid!), rssKiB(idle.pid!)]);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const node = await state();
    if (node.state !== 'online') throw new Error(`the agent's node is ${node.state} after ${AGENT_IDLE_S} s`);
    const col = (i: number) => median(samples.map((s) => s[i]!));
    return { agentKiB: col(0), bareNodeKiB: col(1), idleSeaKiB: col(2), agentVersion: node.agent_version, idleS: AGENT_IDLE_S };
  } finally {
    await Promise.all(children.map((c) => stopChild(c, 5000)));
    await stopChild(server);
  }
}

export function agentRssSummary(r: AgentRssResult, say: (s: string) => void): string[] {
  const k = (kib: number) => mib(kib * 1024);
  say(table([
    ['process', 'RSS MiB', '× bare node'],
    [`hydranode ${r.agentVersion} run (single executable), online ${r.idleS} s`, k(r.agentKiB), (r.agentKiB / r.bareNodeKiB).toFixed(2)],
    ["node -e 'setInterval(()=>{},1e3)'", k(r.bareNodeKiB), '1.00'],
    ['a single executable that only idles (same Node)', k(r.idleSeaKiB), (r.idleSeaKiB / r.bareNodeKiB).toFixed(2)],
  ]));
  const ratio = r.agentKiB / r.bareNodeKiB;
  return [
    `agent idle RSS after ${r.idleS} s online: ${k(r.agentKiB)} MiB vs bare node ${k(r.bareNodeKiB)} MiB → ${ratio.toFixed(2)}× (target ≤ ${TARGET_RSS_RATIO}×: ${verdict(ratio <= TARGET_RSS_RATIO)}); an idle single executable alone is ${(r.idleSeaKiB / r.bareNodeKiB).toFixed(2)}×, the agent adds ${k(r.agentKiB - r.idleSeaKiB)} MiB`,
  ];
}
