/**
 * CPU profile of a child started with `--inspect=127.0.0.1:PORT`, over the DevTools protocol, so
 * that only the load window is sampled (not boot or warm-up as with `--cpu-prof`).
 */
import WebSocket from 'ws';

type Pending = Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;

export interface Profiler {
  start(): Promise<void>;
  /** Stops sampling and returns the profile (the .cpuprofile JSON). */
  stop(): Promise<unknown>;
  close(): void;
}

export async function attachProfiler(inspectPort: number, samplingUs = 500): Promise<Profiler> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const pending: Pending = new Map();
  let seq = 0;
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: samplingUs });
  return {
    start: async () => void (await call('Profiler.start')),
    stop: async () => ((await call('Profiler.stop')) as { profile: unknown }).profile,
    close: () => ws.close(),
  };
}
