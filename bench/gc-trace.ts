/**
 * Reads V8 `--trace-gc` lines: for a time window, the mark-compact collections that started in
 * it and the incremental-marking work they did on the main thread (perf_hooks reports only the
 * final pause of each, yet every marking step holds the event loop).
 */
export interface MarkingInWindow {
  markCompacts: number;
  /** Sum of "+ X ms in N steps since start of marking". */
  incrementalMs: number;
  /** Largest "biggest step". */
  biggestStepMs: number;
  /** Largest final pause. */
  maxPauseMs: number;
}

interface MarkCompact {
  atMs: number;
  pauseMs: number;
  incrementalMs: number;
  biggestStepMs: number;
}

const LINE = /^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: Mark-Compact .*?MB, ([\d.]+) \/ [\d.]+ ms\s+(?:\(\+ ([\d.]+) ms in \d+ steps since start of marking, biggest step ([\d.]+) ms)?/;

export function parseMarkCompacts(lines: readonly string[]): MarkCompact[] {
  const out: MarkCompact[] = [];
  for (const l of lines) {
    const m = LINE.exec(l);
    if (m) out.push({ atMs: Number(m[1]), pauseMs: Number(m[2]), incrementalMs: Number(m[3] ?? 0), biggestStepMs: Number(m[4] ?? 0) });
  }
  return out;
}

/** V8 stamps a line with ms since the isolate started, a few ms after performance.now()'s origin. */
const SLACK_MS = 50;

export function markingIn(all: readonly MarkCompact[], [from, to]: readonly [number, number]): MarkingInWindow {
  const gcs = all.filter((g) => g.atMs >= from - SLACK_MS && g.atMs <= to);
  return {
    markCompacts: gcs.length,
    incrementalMs: gcs.reduce((a, g) => a + g.incrementalMs, 0),
    biggestStepMs: Math.max(0, ...gcs.map((g) => g.biggestStepMs)),
    maxPauseMs: Math.max(0, ...gcs.map((g) => g.pauseMs)),
  };
}
