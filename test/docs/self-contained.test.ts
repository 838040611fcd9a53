/**
 * The repository stands on its own: no file refers to the folder outside it that held the
 * project's first contract and runbook, nor to that contract's numbered sections. Code comments
 * cite docs/ instead (docs/api.md, docs/operations.md, docs/architecture.md).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';

const ROOT = packageRoot() ?? process.cwd();
// Spelled in pieces so this file does not hold what it looks for.
const FORBIDDEN = ['..' + '/shared', 'SPEC' + ' §'];

describe('a self-contained repository', () => {
  it('when every tracked file is read, then none refers to the folder outside the repository or to the old contract\'s numbered sections', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(100);
    const hits: string[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, f), 'utf8');
      } catch {
        continue; // deleted in the working tree, or not a file
      }
      for (const bad of FORBIDDEN) if (text.includes(bad)) hits.push(`${f}: ${bad}`);
    }
    expect(hits).toEqual([]);
  });
});
