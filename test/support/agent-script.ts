/**
 * A scripted agent for end-to-end tests: enrolls with the admin token, registers, long-polls
 * /body/exec and answers each command with canned behaviour instead of running it:
 *
 *   echo TEXT  → stdout "TEXT\n", exit 0        exit N → exit N
 *   warn       → stderr "warning: ...", exit 0  hang   → never answers
 *   anything else → stdout "ran: <command>", exit 0 (so a test can see what arrived)
 */
const DEFAULT_POLL_WAIT_S = 5;
const RETRY_MS = 100;

export interface ScriptedAgent {
  nodeId: string;
  token: string;
  /** Commands received, in order. */
  received: string[];
  stop(): Promise<void>;
}

interface Canned {
  exit_code: number;
  stdout: string;
  stderr: string;
}

/** The canned answer for a command, or null to never answer. */
export function cannedAnswer(command: string): Canned | null {
  const echo = /^echo (.*)$/s.exec(command);
  if (echo) return { exit_code: 0, stdout: `${echo[1]}\n`, stderr: '' };
  const exit = /^exit (\d+)$/.exec(command);
  if (exit) return { exit_code: Number(exit[1]), stdout: '', stderr: '' };
  if (command === 'warn') return { exit_code: 0, stdout: '', stderr: 'warning: the disk is almost full\n' };
  if (command === 'hang') return null;
  return { exit_code: 0, stdout: `ran: ${command}`, stderr: '' };
}

async function post(url: string, token: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Enrolls and registers a node on `server`, then serves its exec queue until stop(). */
export async function startScriptedAgent(opts: { server: string; adminToken: string; name?: string; pollWaitS?: number }): Promise<ScriptedAgent> {
  const api = `${opts.server}/api/v1`;
  const enr = await post(`${api}/enrollments`, opts.adminToken, { name: opts.name ?? 'scripted', os: 'linux' });
  const reg = await post(`${api}/register`, enr.enrollment_token, { hostname: 'scripted', os: 'linux' });
  const token: string = reg.token;
  await post(`${api}/body/heartbeat`, token, {});
  const received: string[] = [];
  const stopping = new AbortController();

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        const res = await fetch(`${api}/body/exec?wait=${opts.pollWaitS ?? DEFAULT_POLL_WAIT_S}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: stopping.signal,
        });
        if (res.status !== 200) {
          await res.body?.cancel();
          if (res.status !== 204) await new Promise((r) => setTimeout(r, RETRY_MS));
          continue;
        }
        const exec = await res.json();
        received.push(exec.command);
        const answer = cannedAnswer(exec.command);
        if (!answer) continue;
        const now = new Date().toISOString();
        await post(`${api}/body/exec/result`, token, { id: exec.id, ...answer, started_at: now, finished_at: now, timed_out: false });
      } catch {
        if (!stopping.signal.aborted) await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  })();

  return {
    nodeId: reg.node_id,
    token,
    received,
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
