/**
 * Seeded random numbers for tests. The seed is HC_TEST_SEED when set, else drawn afresh for each
 * run; a test that draws numbers says its seed when it fails (in its assertion messages and on
 * stderr), and `HC_TEST_SEED=<seed> npx vitest run <file>` replays the same numbers.
 */
import { randomInt } from 'node:crypto';
import { onTestFailed } from 'vitest';

export interface SeededRandom {
  readonly seed: number;
  /** A number in [0, 1) (the range of Math.random). */
  next(): number;
  /** A whole number in [0, n). */
  below(n: number): number;
}

const UINT32 = 2 ** 32;

/** HC_TEST_SEED (a whole number below 2^32), else a fresh random seed. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.HC_TEST_SEED;
  if (text === undefined || text === '') return randomInt(UINT32);
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed >= UINT32) throw new Error(`HC_TEST_SEED=${text}: must be a whole number below 2^32`);
  return seed;
}

/** mulberry32: small, fast and good enough for picking test inputs (not for secrets). */
export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / UINT32;
  };
  return { seed, next, below: (n) => Math.floor(next() * n) };
}

/** What a failing test prints: how to replay its numbers. */
export const seedNote = (seed: number): string => `random seed ${seed} (replay: HC_TEST_SEED=${seed})`;

/** Inside a test: its random numbers, and its seed printed if it fails. */
export function testRandom(): SeededRandom {
  const random = seededRandom(testSeed());
  onTestFailed(() => console.error(seedNote(random.seed)));
  return random;
}
