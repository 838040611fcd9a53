/**
 * One autocannon run against POST /api/v1/body/heartbeat: keep-alive connections, every request a
 * different node (token and body rotate through the fleet), plus the CPU the target process used.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { heartbeatBody } from './fixtures.js';

export const CONNECTIONS = 50;
export const PATH = '/api/v1/body/heartbeat';

export interface LoadResult {
  label: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** CPU of the target process and of the load generator, in % of one core. */
  targetCpu: number | null;
  /** CPU the target spent per request, in µs: less sensitive to a noisy machine than req/s. */
  cpuPerReqUs: number | null;
  clientCpu: number;
}

/** utime+stime of a process in ms (Linux /proc), or null elsewhere. */
export function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // fields 14, 15; USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export function makeRequests(tokens: readonly string[]): { headers: Array<Record<string, string>>; bodies: string[] } {
  const headers = tokens.map((t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' }));
  const bodies = tokens.map((_, i) => heartbeatBody(i));
  return { headers, bodies };
}

export async function runLoad(
  label: string,
  url: string,
  reqs: { headers: Array<Record<string, string>>; bodies: string[] },
  durationS: number,
  targetPid: number | undefined,
): Promise<LoadResult> {
  let next = 0;
  const n = reqs.bodies.length;
  const cpu0 = targetPid ? procCpuMs(targetPid) : null;
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: PATH,
        setupRequest(req) {
          const i = next++ % n;
          return { ...req, headers: reqs.headers[i]!, body: reqs.bodies[i]! };
        },
      },
    ],
  });
  const wallMs = performance.now() - t0;
  const cpu1 = targetPid ? procCpuMs(targetPid) : null;
  const own = process.cpuUsage(own0);
  const targetCpuMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = s.count;
  return {
    label,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
    targetCpu: targetCpuMs === null ? null : (100 * targetCpuMs) / wallMs,
    cpuPerReqUs: targetCpuMs === null || r.requests.total === 0 ? null : (1000 * targetCpuMs) / r.requests.total,
    clientCpu: (100 * (own.user + own.system)) / 1000 / wallMs,
  };
}
