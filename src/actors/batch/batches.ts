/**
 * Batches: the supervisor of fleet-exec batch actors (docs/api.md#fleet-exec). It creates them (registered with
 * the actor system, so they show in /debug/actors as kind `batch`), routes the exec queues'
 * "exec finished" notifications to the batch that owns the exec, tells open batches when a node is
 * deleted, and forgets a batch `result_ttl_s` after it finished.
 *
 * Bounds: at most {@link MAX_BATCHES} batches are kept (running and finished together), and the
 * finished ones hold at most {@link MAX_BATCH_OUTPUT_CHARS} characters of output together; past
 * either bound the oldest finished batch is forgotten early (its reads answer 404). When every kept
 * batch is still running, a new one is refused with 429 `too_many_batches`.
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { AppError } from '../../errors.js';
import { newBatchId } from '../../ids.js';
import type { ExecResultView } from '../../wire/index.js';
import type { ExecQueues } from '../exec/queues.js';
import { tell } from '../kernel/ask.js';
import type { ActorSystem } from '../kernel/system.js';
import { BatchActor, type BatchSpec } from './actor.js';

/** Batches kept at most, running and finished together. */
export const MAX_BATCHES = 200;
/** Output characters kept by finished batches together. */
export const MAX_BATCH_OUTPUT_CHARS = 256 * 1024 * 1024;

export interface BatchesDeps {
  clock: Clock;
  system: ActorSystem;
  execQueues: ExecQueues;
  /** How long a finished batch stays readable (`exec.result_ttl_s`). */
  resultTtlS: number;
  maxBatches?: number;
  maxOutputChars?: number;
}

export class Batches {
  /** In creation order: the first finished one is the oldest to forget. */
  private readonly batches = new Map<string, BatchActor>();
  /** Open member exec id -> its batch. */
  private readonly owners = new Map<string, BatchActor>();
  private readonly expiry = new Map<string, TimerHandle>();
  private closing = false;
  /** How long a finished batch stays readable: replaced by {@link reconfigure}. */
  private resultTtlS: number;

  constructor(private readonly deps: BatchesDeps) {
    this.resultTtlS = deps.resultTtlS;
    deps.execQueues.onFinished = (_nodeId, execId, view) => this.execFinished(execId, view);
  }

  /** A config reload: batches finishing from now on stay readable `resultTtlS`. */
  reconfigure(resultTtlS: number): void {
    this.resultTtlS = resultTtlS;
  }

  get size(): number {
    return this.batches.size;
  }

  get(id: string): BatchActor | undefined {
    return this.batches.get(id);
  }

  /** A new batch actor in `submitting`; the caller sends it `start`. */
  create(spec: BatchSpec): BatchActor {
    if (this.closing) throw new AppError('shutting_down', 'the server is shutting down; retry in a few seconds');
    const max = this.deps.maxBatches ?? MAX_BATCHES;
    if (this.batches.size >= max && !this.forgetOldestFinished()) {
      throw new AppError('too_many_batches', `${this.batches.size} fleet-exec batches are still running (at most ${max}); wait for one to finish`);
    }
    const batch = new BatchActor(newBatchId(), spec, {
      clock: this.deps.clock,
      observer: this.deps.system,
      queue: (nodeId) => this.deps.execQueues.ensure(nodeId),
      track: (execId, b) => this.owners.set(execId, b),
      untrack: (execId) => this.owners.delete(execId),
      finished: (b) => this.finished(b),
      closing: () => this.closing,
    });
    this.batches.set(batch.id, batch);
    this.deps.system.register(batch);
    return batch;
  }

  /** The node was deleted: every running batch with a member there closes that member. */
  nodeGone(nodeId: string): void {
    for (const b of this.batches.values()) if (!b.isFinished) tell(b, { type: 'node_gone', nodeId });
  }

  /** Shutdown: every parked read is answered now, and none parks from here on. */
  wakeAll(): void {
    this.closing = true;
    for (const b of this.batches.values()) tell(b, { type: 'wake' });
  }

  /** The exec queues' notification port: an exec a batch owns reached a final state. */
  private execFinished(execId: string, view: () => ExecResultView): void {
    const batch = this.owners.get(execId);
    if (!batch) return;
    this.owners.delete(execId);
    tell(batch, { type: 'member_done', execId, result: view() });
  }

  private finished(batch: BatchActor): void {
    this.expiry.set(batch.id, this.deps.clock.after(this.resultTtlS * 1000, () => this.forget(batch.id)));
    const maxChars = this.deps.maxOutputChars ?? MAX_BATCH_OUTPUT_CHARS;
    while (this.finishedOutputChars() > maxChars && this.forgetOldestFinished(batch)) {
      // forgot one more
    }
  }

  private finishedOutputChars(): number {
    let n = 0;
    for (const b of this.batches.values()) if (b.isFinished) n += b.outputChars;
    return n;
  }

  /** Forgets the oldest finished batch (never `keep`); false when there is none. */
  private forgetOldestFinished(keep?: BatchActor): boolean {
    for (const b of this.batches.values()) {
      if (b.isFinished && b !== keep) {
        this.forget(b.id);
        return true;
      }
    }
    return false;
  }

  private forget(id: string): void {
    const b = this.batches.get(id);
    if (!b) return;
    this.batches.delete(id);
    this.expiry.get(id)?.cancel();
    this.expiry.delete(id);
    this.deps.system.unregister(b);
    tell(b, { type: 'stop' });
  }
}
