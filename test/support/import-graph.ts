/**
 * The import graph of src/, read from the source text (no compiler API: TypeScript 7 has none in
 * JavaScript). Counted: every static `import … from`, `export … from` and side-effect import,
 * type-only ones included (a circle of types is still a circle for the reader), and every dynamic
 * `import('…')` with a literal path (a lazy load is still a dependency). Only relative paths are
 * followed: packages are outside the graph.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const STATIC = /^(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)?\s*from\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
/** A statement that only passes names on: `export … from '…'`. */
const RE_EXPORT = /^export\s+(?:type\s+)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)\s*from\s*['"][^'"]+['"];?$/gm;

/** The import paths a module names, in order of appearance. */
export function importSpecifiers(source: string): string[] {
  const found: Array<[number, string]> = [];
  for (const m of source.matchAll(STATIC)) found.push([m.index, (m[1] ?? m[2])!]);
  for (const m of source.matchAll(DYNAMIC)) found.push([m.index, m[1]!]);
  return found.sort((a, b) => a[0] - b[0]).map(([, s]) => s);
}

/** True for a module whose every statement passes names on from other modules (a barrel). */
export function isBarrel(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const rest = code.replace(RE_EXPORT, '').trim();
  return rest === '' && new RegExp(RE_EXPORT.source, 'm').test(code);
}

/** Module → the modules it imports, as paths relative to `root` (e.g. `src/http/auth.ts`). */
export type ImportGraph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The graph of every .ts/.tsx file under `root/dir`; throws on a relative import it cannot find. */
export function importGraph(root: string, dir = 'src'): { graph: ImportGraph; sources: Map<string, string> } {
  const files = sourceFiles(join(root, dir)).map((f) => relative(root, f));
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  const sources = new Map<string, string>();
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8');
    sources.set(file, source);
    const deps = importSpecifiers(source)
      .filter((s) => s.startsWith('.'))
      .map((s) => {
        const base = relative(root, resolve(root, dirname(file), s)).replace(/\.js$/, '');
        const hit = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((c) => known.has(c));
        if (!hit) throw new Error(`${file}: cannot resolve import '${s}'`);
        return hit;
      });
    graph.set(file, [...new Set(deps)]);
  }
  return { graph, sources };
}

/** Every import circle, each as the path `a → b → … → a` (one per strongly connected group). */
export function importCircles(graph: ImportGraph): string[][] {
  // Tarjan's strongly connected components; a group of two or more (or a self-import) is a circle.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return groups.map((group) => circleThrough(graph, new Set(group), [...group].sort()[0]!));
}

/** One circle inside a strongly connected group, from `start` back to it (breadth-first: a shortest one). */
function circleThrough(graph: ImportGraph, group: Set<string>, start: string): string[] {
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let u = v; u !== start; ) path.unshift((u = from.get(u)!));
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
