/**
 * The tests' own rules (issue 21): test files are type-checked by `npm test`, random numbers are
 * seeded and replayable, and temp folders are removed when their test file ends.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { seededRandom, testSeed } from './support/random.js';
import { removeTempDirs, tempDir } from './support/temp.js';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

/** Every .ts file under test/, relative to the root. */
function testFiles(dir = join(ROOT, 'test')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

/** tsc on one file with the tests' compiler options: its exit code and output. */
async function typeCheck(source: string): Promise<{ code: number; output: string }> {
  const parent = join(ROOT, 'node_modules', '.cache');
  mkdirSync(parent, { recursive: true });
  const dir = tempDir('hc-typecheck-', parent);
  writeFileSync(join(dir, 'fixture.test.ts'), source);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'tsconfig.test.json'), include: [], files: ['fixture.test.ts'] }));
  const where = relative(dir, join(ROOT, 'src/cli/where.js'));
  writeFileSync(join(dir, 'fixture.test.ts'), source.replace('WHERE', where));
  try {
    const r = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')]);
    return { code: 0, output: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, output: x.stdout + x.stderr };
  }
}

describe('tests are type-checked', () => {
  it('when npm test runs, then its pretest type-checks every .ts file under test/ without emitting', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toContain('tsc -p tsconfig.test.json');
    const cfg = JSON.parse(readFileSync(join(ROOT, 'tsconfig.test.json'), 'utf8')) as { compilerOptions: { noEmit?: boolean }; include: string[] };
    expect(cfg.compilerOptions.noEmit).toBe(true);
    expect(cfg.include).toContain('test/**/*.ts');
  });

  it('when a test file has a type error, then the tests\' type check fails naming the file; when not, it passes', async () => {
    const test = (arg: string) => `import { expect, it } from 'vitest';\nimport { parseWhere } from 'WHERE';\nit('parses', () => expect(parseWhere(${arg})).toBeTruthy());\n`;
    const bad = await typeCheck(test('42'));
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/fixture\.test\.ts\(3,\d+\): error TS2345/);
    const good = await typeCheck(test("'all'"));
    expect(good).toEqual({ code: 0, output: '' });
  }, 60_000);
});

describe('seeded random numbers', () => {
  it('when two generators share a seed, then they draw the same numbers, all in [0, 1)', () => {
    const a = seededRandom(12345);
    const b = seededRandom(12345);
    const drawn = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(drawn);
    expect(drawn.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(drawn).size).toBe(100);
    expect(seededRandom(12346).next()).not.toBe(drawn[0]);
  });

  it('when HC_TEST_SEED is set, then it is the seed; when it is not a whole number below 2^32, then it is refused', () => {
    expect(testSeed({ HC_TEST_SEED: '987654321' })).toBe(987654321);
    expect(() => testSeed({ HC_TEST_SEED: 'abc' })).toThrow(/HC_TEST_SEED=abc/);
    expect(() => testSeed({ HC_TEST_SEED: String(2 ** 32) })).toThrow(/below 2\^32/);
    const fresh = testSeed({});
    expect(Number.isInteger(fresh) && fresh >= 0 && fresh < 2 ** 32).toBe(true);
  });

  it('when a test file draws random numbers, then it draws them from the seeded helper, not Math.random', () => {
    const unseeded = testFiles().filter((f) => f !== 'test/test-tooling.test.ts' && readFileSync(join(ROOT, f), 'utf8').includes('Math.random('));
    expect(unseeded).toEqual([]);
  });
});

describe('temp folders', () => {
  it('when the test file ends, then every folder tempDir made is removed (with what is inside)', () => {
    const a = tempDir('hc-tooling-');
    const b = tempDir('hc-tooling-');
    mkdirSync(join(a, 'sub'));
    writeFileSync(join(a, 'sub', 'f'), 'x');
    expect(existsSync(a) && existsSync(b)).toBe(true);
    // What the setup file's afterAll does (vitest.config.ts setupFiles: test/support/setup.ts).
    expect(removeTempDirs()).toEqual([]);
    expect(existsSync(a) || existsSync(b)).toBe(false);
    const config = readFileSync(join(ROOT, 'vitest.config.ts'), 'utf8');
    expect(config).toMatch(/setupFiles: \['\.\/test\/support\/setup\.ts'\]/);
    expect(readFileSync(join(ROOT, 'test/support/setup.ts'), 'utf8')).toMatch(/afterAll\([\s\S]*removeTempDirs\(\)/);
  });

  it('when a test needs a temp folder, then it gets it from tempDir (no other mkdtemp under test/)', () => {
    const raw = testFiles().filter((f) => f !== 'test/support/temp.ts' && f !== 'test/test-tooling.test.ts' && /mkdtemp/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(raw).toEqual([]);
  });
});
