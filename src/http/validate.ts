/**
 * Request body validation: JSON parse and schema check, turned into a 400 that names the field.
 * Messages are bounded (src/issues.ts): names are cut and unknown keys listed only in part.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.js';
import { bound, fieldPath, issueText } from '../issues.js';

/** The first schema issue as one readable sentence naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = fieldPath(issue.path);
  const where = field ? `field \`${field}\`` : 'the body';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${where} is required`;
  return bound(`${where}: ${issueText(issue)}`);
}

/**
 * Parses `text` as JSON against `schema`; empty text counts as `{}`. `fast`, when given, is the
 * schema's own shortcut for its common case (e.g. the heartbeat's parseHeartbeatFast): its answer
 * is taken when it has one, else the schema decides.
 */
export function parseBody<S extends z.ZodType>(text: string, schema: S, fast?: (data: unknown) => z.output<S> | null): z.output<S> {
  let data: unknown = {};
  if (text.trim() !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      throw new AppError('invalid_json', 'the body is not valid JSON');
    }
  }
  const quick = fast?.(data);
  if (quick) return quick;
  const r = schema.safeParse(data);
  if (!r.success) throw new AppError('invalid_request', describeIssue(r.error));
  return r.data;
}

export async function readJson<S extends z.ZodType>(c: Context, schema: S, fast?: (data: unknown) => z.output<S> | null): Promise<z.output<S>> {
  const body = parseBody(await c.req.text(), schema, fast);
  // Kept for the audit line of a change (src/http/audit.ts records it, secrets left out).
  c.set('body', body);
  return body;
}

/** Validates query parameters the same way. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const r = schema.safeParse(c.req.query());
  if (!r.success) throw new AppError('invalid_request', describeIssue(r.error).replace('field', 'query parameter'));
  return r.data;
}
