/**
 * Summary of a V8 .cpuprofile (from `node --cpu-prof`): top functions by self samples, top by
 * inclusive samples, and self samples per package. Also a CLI: node dist/bench/profile.js FILE [TOP].
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

const pct = (n: number, total: number): string => `${((100 * n) / total).toFixed(1).padStart(5)}%`;

/** Which package or part a frame belongs to. */
function packageOf(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
  if (nm) return nm[1]!;
  if (f.url.startsWith('node:')) return `node:${f.url.slice(5).split('/').slice(0, 2).join('/')}`;
  const own = /\/dist\/(src\/[^/]+)/.exec(f.url);
  return own ? `hydracluster ${own[1]}` : f.url;
}

function frameKey(f: CallFrame): string {
  const file = f.url ? f.url.replace(/^file:\/\/.*\/(node_modules|dist)\//, '$1/') : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

function top(map: Map<string, number>, n: number, total: number): string[] {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${pct(v, total)}  ${k}`);
}

export function summarizeProfile(path: string, n = 20): string {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const pkg = new Map<string, number>();
  let idle = 0;
  for (const id of prof.samples) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') {
      idle++;
      continue;
    }
    const k = frameKey(f);
    self.set(k, (self.get(k) ?? 0) + 1);
    const p = packageOf(f);
    pkg.set(p, (pkg.get(p) ?? 0) + 1);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = frameKey(byId.get(cur)!.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + 1);
    }
  }
  const busy = prof.samples.length - idle;
  return [
    `${prof.samples.length} samples, ${idle} idle (${pct(idle, prof.samples.length).trim()}); percentages below are of the ${busy} busy samples`,
    `top ${n} by self time:`,
    ...top(self, n, busy),
    `self time by package:`,
    ...top(pkg, 15, busy),
    `top ${n} by inclusive time (function on the stack):`,
    ...top(new Map([...incl].filter(([k]) => !k.startsWith('(root)'))), n, busy),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(summarizeProfile(process.argv[2]!, Number(process.argv[3] ?? 25)) + '\n');
}
