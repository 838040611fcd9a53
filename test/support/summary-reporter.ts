/**
 * Prints one plain closing line, "summary: N passed, N failed, N skipped", after vitest's own
 * report, so that CI logs state the count in a runner-neutral form. A file or suite that failed
 * before its tests ran (an import error, a failing beforeAll) counts as failed too, with a line
 * naming it: its skipped tests alone would hide it.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const broken: string[] = [];
    for (const m of testModules) {
      if (m.errors().length > 0) broken.push(m.moduleId);
      for (const s of m.children.allSuites()) if (s.errors().length > 0) broken.push(`${m.moduleId} > ${s.name}`);
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    failed += broken.length + unhandledErrors.length;
    for (const b of broken) process.stdout.write(`\nfailed outside a test: ${b}`);
    process.stdout.write(`\nsummary: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
