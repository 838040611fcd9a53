/** The fanout part's table and summary lines for `npm run bench` (bench/fanout.ts measures). */
import type { FanoutResult } from './fanout.js';
import { int, median, ms, table, verdict } from './report.js';

/** The bound on one event-loop turn while submitting (docs/api.md#fleet-exec). */
const STALL_TARGET_MS = 20;


export function fanoutSummary(r: FanoutResult, say: (s: string) => void): string[] {
  say(table([
    ['batch', 'execs', 'submit ms', 'last result ms', 'ok'],
    ...r.runs.map((x, i) => [String(i + 1), int(x.execs), ms(x.submitMs), ms(x.lastResultMs), int(x.ok)]),
  ]));
  const submit = median(r.runs.map((x) => x.submitMs));
  const last = median(r.runs.map((x) => x.lastResultMs));
  const loopFor = r.loop.perNodeMs * r.nodes;
  const s = r.stall;
  return [
    `fleet exec ${int(r.nodes)} sim nodes (long-poll, answer at once): submit ${ms(submit)} ms, last result ${ms(last)} ms (median of ${r.runs.length}) vs a shell loop of single execs ${ms(r.loop.perNodeMs)} ms a node → ~${ms(loopFor)} ms for ${int(r.nodes)} (${(loopFor / last).toFixed(0)}× slower)`,
    `fleet exec submit to ${int(s.nodes)} nodes: ${ms(s.submitMs)} ms, longest event-loop stall ${ms(s.maxGapMs)} ms (median of ${s.maxGapEachMs.map(ms).join(' / ')} ms; less GC pauses ${ms(s.maxGapNoGcMs)} ms; CPU in it ${ms(s.maxTurnCpuMs)} ms; longest GC pause ${ms(s.gcMaxMs)} ms) vs idle ${ms(s.idleMaxGapMs)} ms, load average ${s.loadAvg1m.toFixed(1)} (target ≤ ${STALL_TARGET_MS} ms: ${verdict(s.maxGapMs <= STALL_TARGET_MS)})`,
    `  reading that whole ${int(s.nodes)}-member batch (GET /exec/batches/{id}): ${ms(s.readMs)} ms, longest stall ${ms(s.readMaxGapMs)} ms (one JSON reply; informational)`,
  ];
}
