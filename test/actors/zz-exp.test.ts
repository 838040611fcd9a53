import { it } from 'vitest';
import { transition } from 'xstate';
import { step } from '../../src/actors/kernel/machine.js';
import { nodeMachine, nodeRecordSchema } from '../../src/actors/node-actor.js';
it('x', () => {
  const rec = nodeRecordSchema.parse({ id: 'node-01JABCDEFGHJKMNPQRSTVWXYZ0', name: 'n', kind: 'body', state: 'provisioning', created_at: 'x', last_seen: 'x', roles: ['r'] });
  const ctx = { record: rec, settings: { providerRoles: [], offlineAfterMs: 1 }, lastBeat: 0, enrollDeadline: null, beatDurable: false };
  const ev = { type: 'HEARTBEAT', reported: { roles_applied: ['r'] }, ack: [], at: 'y' } as const;
  const snap = nodeMachine.resolveState({ value: 'provisioning', context: ctx });
  const [next, actions] = transition(nodeMachine, snap, ev);
  console.log(next.value, JSON.stringify(actions.map((a: any) => [a.type, a.params])));
  console.log(step(nodeMachine, 'provisioning', ctx, ev, {}));
});
