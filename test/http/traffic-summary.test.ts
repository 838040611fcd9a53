/**
 * The summary line (docs/operations.md#logs): with heartbeats no longer logged one by one, one info line every
 * SUMMARY_INTERVAL_MS tells that the server is alive: rates over the interval, nodes by state,
 * queued execs. Driven by the fake clock.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { SUMMARY_INTERVAL_MS, startTrafficSummary } from '../../src/http/traffic-summary.js';
import { memoryLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { harness } from '../support/harness.js';
import { call, makeHome } from '../support/process.js';

const summaries = (log: ReturnType<typeof memoryLogger>) => log.lines.filter((l) => l.msg === 'summary');

describe('summary line', () => {
  it('when heartbeats and operators\' requests were answered over an interval, then one info line gives their rates, nodes by state and queued execs', async () => {
    const h = await harness({ logLevel: 'info' });
    const a = await h.addNode({ name: 'a' });
    const b = await h.addNode({ name: 'b' });
    const timer = startTrafficSummary(h.core);
    for (let i = 0; i < 30; i++) await h.heartbeat(a.token);
    await h.json('GET', '/body/exec?wait=0', { token: a.token });
    await h.json('POST', `/nodes/${b.id}/exec`, { body: { command: 'true', timeout_s: 3600 } });
    // Both keep heartbeating through the interval; b never fetches its exec (stalled after 60 s).
    const step = SUMMARY_INTERVAL_MS / 10;
    for (let i = 0; i < 10; i++) {
      await h.heartbeat(a.token);
      await h.heartbeat(b.token);
      h.clock.advance(i < 9 ? step : step - 1);
    }
    expect(summaries(h.log)).toEqual([]);
    h.clock.advance(1);
    const [line, ...more] = summaries(h.log);
    expect(more).toEqual([]);
    const rate = (n: number) => Math.round((n / (SUMMARY_INTERVAL_MS / 1000)) * 1000) / 1000;
    expect(line).toMatchObject({
      level: 'info',
      interval_s: SUMMARY_INTERVAL_MS / 1000,
      heartbeats_per_s: rate(50),
      agent_requests_per_s: rate(51),
      operator_requests_per_s: rate(1),
      in_flight: 0,
      nodes: { total: 2, online: 2, offline: 0 },
      execs_queued: 1,
      exec_stalled_nodes: 1,
    });
    // The next interval counts only its own requests.
    h.clock.advance(SUMMARY_INTERVAL_MS);
    expect(summaries(h.log)[1]).toMatchObject({ heartbeats_per_s: 0, operator_requests_per_s: 0 });
    timer.cancel();
  });

  it('when the server runs, then it writes the summary every interval, and no more once stopped', async () => {
    const clock = new FakeClock();
    const log = memoryLogger('info');
    const srv = await startServer({ home: makeHome(), listen: '127.0.0.1:0', clock, log });
    try {
      await call(srv.url, 'GET', '/health');
      clock.advance(SUMMARY_INTERVAL_MS);
      expect(summaries(log)).toHaveLength(1);
      expect(summaries(log)[0]).toMatchObject({ nodes: { total: 0 } });
    } finally {
      await srv.stop();
    }
    clock.advance(SUMMARY_INTERVAL_MS);
    expect(summaries(log)).toHaveLength(1);
  });
});
