/**
 * Helpers for the exec tests: a harness with one registered node, and the agent's and admin's
 * exec calls through the real API.
 */
import { harness, testConfig, type Harness } from '../support/harness.js';

/** Event-loop turns after which a promise that was going to settle "at once" has settled. */
const TURNS = 5;

export interface ExecFixture {
  h: Harness;
  node: { id: string; token: string };
}

export async function execFixture(overrides: (doc: any) => void = () => {}): Promise<ExecFixture> {
  const h = await harness({ config: testConfig(overrides) });
  return { h, node: await h.addNode() };
}

export const submit = (h: Harness, nodeId: string, body: Record<string, unknown>) =>
  h.json('POST', `/nodes/${nodeId}/exec`, { body });

/** Submits and returns the new exec id (fails the test on anything but 202). */
export async function submitOk(h: Harness, nodeId: string, command: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await submit(h, nodeId, { command, ...extra });
  if (r.status !== 202) throw new Error(`submit: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

export const poll = (h: Harness, token: string, wait = 0) => h.json('GET', `/body/exec?wait=${wait}`, { token });

export const report = (h: Harness, token: string, body: Record<string, unknown>) =>
  h.json('POST', '/body/exec/result', { token, body });

export const result = (h: Harness, nodeId: string, execId: string) =>
  h.json('GET', `/nodes/${nodeId}/exec/${execId}/result`);

/** True when `p` settles within a few event-loop turns, i.e. without waiting on any timer. */
export async function settlesAtOnce(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => void (done = true),
    () => void (done = true),
  );
  for (let i = 0; i < TURNS && !done; i++) await new Promise((r) => setImmediate(r));
  return done;
}
