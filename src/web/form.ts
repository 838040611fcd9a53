/**
 * The body of a web form (POST /login, POST /logout), read strictly: a body that is not a
 * well-formed form is the client's mistake, a 400 `invalid_request`, never a 500. Accepted:
 * `application/x-www-form-urlencoded` (UTF-8, every `%` followed by two hex digits, decoding to
 * UTF-8) and `multipart/form-data` that parses; any other media type is refused too. File parts
 * are ignored: every field of these forms is text.
 */
import type { Context } from 'hono';
import { AppError } from '../errors.js';

export type FormFields = Record<string, string>;

const URLENCODED = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data';
const BAD_ESCAPE = /%(?![0-9a-f]{2})/i;

const malformed = (what: string) => new AppError('invalid_request', `the form body is not valid ${what}`);

/** `a=1&b=x+y` strictly: throws on a bad escape or bytes that are not UTF-8. */
export function parseUrlencoded(bytes: ArrayBuffer): FormFields {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed(`${URLENCODED} (not UTF-8)`);
  }
  if (BAD_ESCAPE.test(text)) throw malformed(`${URLENCODED} (a % not followed by two hex digits)`);
  const fields: FormFields = Object.create(null);
  const decode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    try {
      fields[decode(eq < 0 ? pair : pair.slice(0, eq))] = eq < 0 ? '' : decode(pair.slice(eq + 1));
    } catch {
      throw malformed(`${URLENCODED} (an escape that does not decode to UTF-8)`);
    }
  }
  return fields;
}

async function parseMultipart(bytes: ArrayBuffer, contentType: string): Promise<FormFields> {
  let data: FormData;
  try {
    data = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw malformed(MULTIPART);
  }
  const fields: FormFields = Object.create(null);
  data.forEach((value, key) => {
    if (typeof value === 'string') fields[key] = value;
  });
  return fields;
}

/** The fields of the request's form body; 400 when it is not a well-formed form. */
export async function readForm(c: Context): Promise<FormFields> {
  const contentType = c.req.header('content-type') ?? '';
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  if (media !== URLENCODED && media !== MULTIPART) {
    throw new AppError('invalid_request', `this form takes ${URLENCODED} or ${MULTIPART}, not ${JSON.stringify(media.slice(0, 100))}`);
  }
  const bytes = await c.req.arrayBuffer();
  return media === URLENCODED ? parseUrlencoded(bytes) : parseMultipart(bytes, contentType);
}
