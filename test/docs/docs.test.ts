/**
 * The documents stand on their own: every relative link in README.md and docs/ resolves (the file,
 * and the #anchor as GitHub renders headings), and every `hydracluster <command>` the operations
 * guide and the README name is one `hydracluster --help` lists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';

const ROOT = packageRoot() ?? process.cwd();
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks and inline code spans. */
const prose = (md: string) => md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
export function anchors(md: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of md.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Every relative link of one document that does not resolve. */
function brokenLinks(file: string): string[] {
  const md = readFileSync(join(ROOT, file), 'utf8');
  const broken: string[] = [];
  for (const m of prose(md).matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto: not ours to check here
    const [path, anchor] = target.split('#') as [string, string | undefined];
    const abs = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), path);
    if (!existsSync(abs)) {
      broken.push(`${file}: ${target} (no file ${relative(ROOT, abs)})`);
      continue;
    }
    if (anchor !== undefined && !anchors(readFileSync(abs, 'utf8')).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor})`);
  }
  return broken;
}

/** The `|`-separated alternatives of a leading `[a|b [--x]|c]`, nested brackets kept inside. */
function topLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[' && depth++ === 0) continue;
    if (ch === ']' && --depth === 0) break;
    if (ch === '|' && depth === 1) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  return [...out, cur];
}

describe('the documents', () => {
  it('when README.md and docs/ are read, then they hold the three documents and every relative link resolves, #anchors included', () => {
    expect(DOCS).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/operations.md', 'docs/architecture.md']));
    expect(DOCS.flatMap(brokenLinks)).toEqual([]);
  });

  it('when the documents name a file of the repository, then it exists (a move that forgets the docs fails here)', () => {
    const missing: string[] = [];
    for (const file of DOCS) {
      const md = readFileSync(join(ROOT, file), 'utf8');
      const named = [
        ...[...md.matchAll(/(?<![\w/.-])((?:src|test|bench|deploy)\/[\w./-]*\w)/g)].map((m) => m[1]!),
        ...[...md.matchAll(/`((?:kernel|node|exec|head|shell|batch)\/[\w.-]+\.ts)`/g)].map((m) => `src/actors/${m[1]}`),
      ];
      for (const p of new Set(named)) if (!existsSync(join(ROOT, p))) missing.push(`${file}: ${p}`);
    }
    expect(missing).toEqual([]);
  });

  it('when a link or an anchor is wrong, then the check finds it (it can fail)', () => {
    expect(anchors('# A: b (c)\n## nodes.yaml\n## A: b (c)\n```\n# not a heading\n```')).toEqual(new Set(['a-b-c', 'nodesyaml', 'a-b-c-1']));
    const md = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
    expect(anchors(md).has('the-openapi-document')).toBe(true);
    expect(anchors(md).has('no-such-section')).toBe(false);
  });

  it('when the operations guide or the README names a `hydracluster` command, then `hydracluster --help` lists it', () => {
    const help = execFileSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), '--help'], { encoding: 'utf8' });
    const commands = new Map<string, Set<string>>();
    // `nodes [show ID|…]` and `nodes list [--state S]` both name subcommands; `exec <nodeId>`, `enroll NAME` none.
    for (const m of help.matchAll(/^ {2}([a-z][a-z-]*)(?: (.*))?$/gm)) {
      const rest = m[2] ?? '';
      const words = rest.startsWith('[') && !rest.startsWith('[-') ? topLevel(rest).map((s) => s.trim().split(/\s/)[0]!) : (/^[a-z][a-z-]*\b/.exec(rest) ?? []);
      const subs = commands.get(m[1]!) ?? new Set<string>();
      for (const w of words) subs.add(w);
      commands.set(m[1]!, subs);
    }
    expect(commands.size).toBeGreaterThan(10);
    expect([...commands.get('nodes')!]).toEqual(expect.arrayContaining(['list', 'show', 'set', 'rm']));
    expect(commands.has('frobnicate')).toBe(false);
    const named: string[] = [];
    const missing: string[] = [];
    for (const file of ['docs/operations.md', 'README.md']) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/\bhydracluster ([a-z][a-z-]*)(?: ([a-z][a-z-]*)\b)?/g)) {
        const [cmd, sub] = [m[1]!, m[2]];
        named.push(cmd);
        if (!commands.has(cmd)) missing.push(`${file}: hydracluster ${cmd}`);
        else if (sub !== undefined && commands.get(cmd)!.size > 0 && !commands.get(cmd)!.has(sub)) missing.push(`${file}: hydracluster ${cmd} ${sub}`);
      }
    }
    expect(named.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
