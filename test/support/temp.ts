/**
 * Temp folders of the tests: tempDir() makes one and keeps its path; the setup file
 * (test/support/setup.ts) removes them all when the test file ends, after the file's own
 * afterAll hooks (which stop the servers and agents using them). Every test folder is made here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A fresh folder `<parent>/<prefix>XXXXXX` (parent: the OS temp folder), removed when the test file ends. */
export function tempDir(prefix = 'hc-test-', parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder tempDir() made so far; returns those it could not remove, with why. */
export function removeTempDirs(): Array<{ dir: string; error: string }> {
  const left: Array<{ dir: string; error: string }> = [];
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (e) {
      left.push({ dir, error: (e as Error).message });
    }
  }
  return left;
}
