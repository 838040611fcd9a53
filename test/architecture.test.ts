/**
 * The layering of src/ (issue 21 item 5, STYLE.md): no import circles, src/http never imports
 * src/web (the pages may use http's helpers; src/app.ts mounts both), and no barrel file beside
 * the modules it passes on (a folder's entry point, if it needs one, is its index.ts). The import
 * graph counts type-only and dynamic imports (test/support/import-graph.ts).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCircles, importGraph, importSpecifiers, isBarrel, type ImportGraph } from './support/import-graph.js';

const ROOT = resolve(import.meta.dirname, '..');
const { graph, sources } = importGraph(ROOT);

/** Imports from one layer into another: `from → to` for each. */
const crossings = (g: ImportGraph, from: string, to: string): string[] =>
  [...g].flatMap(([file, deps]) => (file.startsWith(from) ? deps.filter((d) => d.startsWith(to)).map((d) => `${file} → ${d}`) : []));

describe('the import checks themselves', () => {
  it('when a module imports, re-exports, loads lazily or names only types, then each path is read', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import c, { d } from './c.js';",
      "import * as e from './e.js';",
      "import './f.js';",
      "export { g } from './g.js';",
      "export * from './h.js';",
      'import {',
      '  i,',
      '  type I,',
      "} from './i.js';",
      "const j = await import('./j.js');",
      "const s = 'import x from \"./not-at-line-start.js\"';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.js', '../b.js', './c.js', './e.js', './f.js', './g.js', './h.js', './i.js', './j.js']);
  });

  it('when modules import each other in a ring, then the circle is reported as a path; a chain is not', () => {
    const ring: ImportGraph = new Map([
      ['src/a.ts', ['src/b.ts']],
      ['src/b.ts', ['src/c.ts', 'src/d.ts']],
      ['src/c.ts', ['src/a.ts']],
      ['src/d.ts', []],
      ['src/e.ts', ['src/e.ts']],
    ]);
    expect(importCircles(ring)).toEqual([['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts'], ['src/e.ts', 'src/e.ts']]);
    expect(importCircles(new Map([['src/a.ts', ['src/b.ts']], ['src/b.ts', []]]))).toEqual([]);
  });

  it('when a module only passes names on, then it is a barrel; a module with code of its own is not', () => {
    expect(isBarrel("/** Entry. */\nexport { a, type B } from './a.js';\nexport * from './c.js';\n")).toBe(true);
    expect(isBarrel("export { a } from './a.js';\nexport const b = 1;\n")).toBe(false);
    expect(isBarrel("import { a } from './a.js';\nexport { a };\n")).toBe(false);
  });

  it('when src/http imports src/web, then the crossing is named', () => {
    const g: ImportGraph = new Map([['src/http/auth.ts', ['src/web/session.ts', 'src/http/env.ts']], ['src/web/app.tsx', ['src/http/auth.ts']]]);
    expect(crossings(g, 'src/http/', 'src/web/')).toEqual(['src/http/auth.ts → src/web/session.ts']);
  });
});

describe('src/ layering', () => {
  it('when src/ is read, then it has modules in every layer (the graph is not empty)', () => {
    for (const dir of ['actors', 'agent', 'cli', 'http', 'persist', 'web', 'wire']) expect([...graph.keys()].some((f) => f.startsWith(`src/${dir}/`)), dir).toBe(true);
  });

  it('when every import of src/ is followed, then no module comes back to itself (no import circle)', () => {
    expect(importCircles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('when src/http imports, then never from src/web (src/app.ts mounts both; the pages may import http)', () => {
    expect(crossings(graph, 'src/http/', 'src/web/')).toEqual([]);
  });

  it('when a module of src/ only passes names on, then it is a folder\'s index.ts, never a file beside the modules it re-exports', () => {
    const barrels = [...sources].filter(([file, source]) => isBarrel(source) && !file.endsWith('/index.ts')).map(([file]) => file);
    expect(barrels).toEqual([]);
  });
});
