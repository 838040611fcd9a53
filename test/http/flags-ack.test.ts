/**
 * Flag acknowledgements (docs/api.md#agents-heartbeat-flags-and-the-provision-poll, clarified): an ack clears a flag only when a heartbeat reply has
 * carried that flag since it was last set; a stale or retried ack never clears a newer request.
 * And (docs/api.md#node-lifecycle) a heartbeat that acknowledges a flag is on disk before its reply.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/persist/memory-store.js';
import { harness } from '../support/harness.js';

async function onlineNode(store?: MemoryStore) {
  const h = await harness({ store });
  const n = await h.addNode({ name: 'b1' });
  expect((await h.heartbeat(n.token, {})).body.state).toBe('online');
  return { h, n };
}

describe('flag acknowledgements', () => {
  it('when an ack arrives before any reply carried the flag, then the flag stays set and the node does not go online', async () => {
    const { h, n } = await onlineNode();
    await h.json('POST', `/nodes/${n.id}/reprovision`);
    const r = await h.heartbeat(n.token, { ack_flags: ['reprovision'] }); // stale: sent before the flag was delivered
    expect(r.body.flags.reprovision).toBe(true);
    expect(r.body.state).toBe('provisioning');
    expect((await h.heartbeat(n.token, {})).body.flags.reprovision).toBe(true);
  });

  it('when the ack echoes the delivered flag, then it is cleared, and the reprovision completes', async () => {
    const { h, n } = await onlineNode();
    await h.json('POST', `/nodes/${n.id}/reprovision`);
    expect((await h.heartbeat(n.token, {})).body.flags.reprovision).toBe(true);
    const r = await h.heartbeat(n.token, { ack_flags: ['reprovision'] });
    expect(r.body.flags.reprovision).toBe(false);
    expect(r.body.state).toBe('online');
  });

  it('when a flag is set again after it was delivered, then an ack of the older delivery does not clear the new request', async () => {
    const { h, n } = await onlineNode();
    await h.json('POST', `/nodes/${n.id}/update-node`);
    expect((await h.heartbeat(n.token, {})).body.flags.update_node).toBe(true); // delivery 1
    await h.json('POST', `/nodes/${n.id}/update-node`); // set again
    const stale = await h.heartbeat(n.token, { ack_flags: ['update_node'] }); // the ack of delivery 1
    expect(stale.body.flags.update_node).toBe(true); // this reply is delivery 2
    const fresh = await h.heartbeat(n.token, { ack_flags: ['update_node'] });
    expect(fresh.body.flags.update_node).toBe(false);
  });

  it('when a heartbeat acknowledges a flag, then its reply comes only after nodes.yaml holds the ack', async () => {
    const store = new MemoryStore();
    const { h, n } = await onlineNode(store);
    await h.json('POST', `/nodes/${n.id}/update-services`);
    await h.heartbeat(n.token, {});
    await store.commit();
    const release = store.hold();
    let answered = false;
    const beat = h.heartbeat(n.token, { ack_flags: ['update_services'] }).then((r) => ((answered = true), r));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false); // waiting for the disk
    release();
    expect((await beat).body.flags.update_services).toBe(false);
    expect((store.durable.get(n.id) as any).flags.update_services).toBe(false);
  });

  it('when the first reply carries a newly set flag, then that delivery is on disk before the reply', async () => {
    const store = new MemoryStore();
    const { h, n } = await onlineNode(store);
    await h.json('POST', `/nodes/${n.id}/reprovision`);
    const r = await h.heartbeat(n.token, {});
    expect(r.body.flags.reprovision).toBe(true);
    expect((store.durable.get(n.id) as any).flags_sent).toEqual(['reprovision']);
  });
});
