import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { readPending, readResult, readSubmitReply } from '../../src/cli/exec-replies.js';
import { execPendingView, execResultView, execSubmitReply } from '../../src/wire/exec.js';
import { resultView } from './fake-api.js';

/** Values of every JSON kind, to put in each field in turn. */
const ODD_VALUES: unknown[] = [undefined, null, 0, -1, 2.5, '', 'text', 'done', 'queued', 'pending', true, false, [], {}, ['done']];

/** Pairs each zod-free reader with the wire schema it stands in for, and a valid body. */
const PAIRS = [
  { name: 'submit reply', read: readSubmitReply, schema: execSubmitReply as z.ZodObject, valid: { id: 'exec-1' } },
  { name: 'result view', read: readResult, schema: execResultView as z.ZodObject, valid: resultView({ exit_code: 3, stdout: 'o', stderr: 'e' }) },
  { name: 'result view (nulls)', read: readResult, schema: execResultView as z.ZodObject, valid: resultView({ exit_code: null, delivered_at: null, duration_ms: null }) },
  { name: 'pending view', read: readPending, schema: execPendingView as z.ZodObject, valid: { status: 'pending', state: 'queued', position: 0 } },
] as const;

describe('the CLI reads exec replies as the wire schemas do (src/wire/exec.ts is the contract)', () => {
  for (const p of PAIRS) {
    it(`${p.name}: when a body is valid, then the reader gives what the schema gives, unknown fields dropped`, () => {
      const body = { ...p.valid, from_a_newer_server: 1 };
      expect((p.read as (b: unknown) => unknown)(body)).toEqual(p.schema.parse(body));
    });

    it(`${p.name}: when any one field is missing or of another kind, then the reader refuses exactly when the schema refuses`, () => {
      const read = p.read as (b: unknown) => unknown;
      for (const key of Object.keys(p.schema.shape)) {
        for (const v of ODD_VALUES) {
          const body: Record<string, unknown> = { ...p.valid, [key]: v };
          if (v === undefined) delete body[key];
          const accepted = p.schema.safeParse(body).success;
          expect(read(body) !== null, `${key} = ${JSON.stringify(v)}: schema ${accepted ? 'accepts' : 'refuses'}`).toBe(accepted);
        }
      }
      for (const notAnObject of [null, [], 'x', 1]) expect(read(notAnObject)).toBeNull();
    });
  }
});
