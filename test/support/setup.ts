/**
 * Runs before every test file (vitest.config.ts `setupFiles`). Its afterAll is registered first,
 * so it runs last: the temp folders go once the file's own hooks have stopped what used them.
 */
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

afterAll(function removeTestTempDirs() {
  // A leftover is reported, not failed: a folder a killed child still writes into is not a test failure.
  for (const { dir, error } of removeTempDirs()) console.warn(`temp folder not removed: ${dir}: ${error}`);
});
