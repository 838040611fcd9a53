import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/persist/memory-store.js';
import { harness } from '../support/harness.js';
import { poll, settlesAtOnce, submitOk } from './exec-helpers.js';

const NODES = 1000;
const EXECS_PER_NODE = 10;
const BATCH = 100;

/** nodes.yaml is not what this test is about: keep records in memory. */
const memoryStore = () => new MemoryStore();

describe('exec queues at fleet scale', () => {
  it('when 1,000 nodes hold 10 queued execs each, then an exec for an idle node reaches its parked poll at once, touching no other queue', async () => {
    const h = await harness({ store: memoryStore() });
    const busy: string[] = [];
    for (let i = 0; i < NODES; i += BATCH) {
      const batch = await Promise.all(Array.from({ length: BATCH }, (_, j) => h.addNode({ name: `body-${i + j}` })));
      busy.push(...batch.map((n) => n.id));
    }
    for (let i = 0; i < NODES; i += BATCH) {
      await Promise.all(busy.slice(i, i + BATCH).map(async (id) => {
        for (let k = 0; k < EXECS_PER_NODE; k++) await submitOk(h, id, `job ${k}`);
      }));
    }
    const idle = await h.addNode({ name: 'idle' });
    const parked = poll(h, idle.token, 30);
    expect(await settlesAtOnce(parked)).toBe(false);

    const before = new Map(busy.map((id) => [id, h.core.execQueues.get(id)!.lastEvent]));
    const id = await submitOk(h, idle.id, 'hostname');
    expect(await settlesAtOnce(parked)).toBe(true);
    expect((await parked).body.id).toBe(id);

    for (const nodeId of busy) {
      const q = h.core.execQueues.get(nodeId)!;
      expect(q.lastEvent).toEqual(before.get(nodeId));
      expect(q.mailboxDepth).toBe(0);
      expect(q.pendingCount).toBe(EXECS_PER_NODE);
    }
    expect(h.core.execQueues.size).toBe(NODES + 1);
  });
});
