/**
 * Request body validation: JSON parse and schema check, turned into a 400 that names the field.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { AppError } from '../errors.js';

function fieldName(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** The first schema issue as one readable sentence naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = fieldName(issue.path);
  const where = field ? `field \`${field}\`` : 'the body';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${where} is required`;
  if (issue.code === 'unrecognized_keys') return `${where}: unknown field ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
  return `${where}: ${issue.message.replace(/^Invalid (input|option): /, '')}`;
}

/** Parses `text` as JSON against `schema`; empty text counts as `{}`. */
export function parseBody<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  let data: unknown = {};
  if (text.trim() !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      throw new AppError('invalid_json', 'the body is not valid JSON');
    }
  }
  const r = schema.safeParse(data);
  if (!r.success) throw new AppError('invalid_request', describeIssue(r.error));
  return r.data;
}

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseBody(await c.req.text(), schema);
}

/** Validates query parameters the same way. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const r = schema.safeParse(c.req.query());
  if (!r.success) throw new AppError('invalid_request', describeIssue(r.error).replace('field', 'query parameter'));
  return r.data;
}
