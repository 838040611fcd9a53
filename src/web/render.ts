import type { Context } from 'hono';

/** Headers of every page: no framing, no inline script, nothing from elsewhere, nothing cached. */
const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Sends rendered JSX (a page or a live fragment) as HTML with the page headers. */
export function page(c: Context, body: unknown, status = 200): Response | Promise<Response> {
  for (const [k, v] of Object.entries(PAGE_HEADERS)) c.header(k, v);
  return c.html(body as string, status as 200);
}
