import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores on CI: some suites spawn real servers.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Removes the temp folders a test file made (test/support/temp.ts) when the file ends.
    setupFiles: ['./test/support/setup.ts'],
  },
});
