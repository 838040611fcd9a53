/**
 * Request body limit (413). A body that declares its length is judged by that header alone —
 * Node's HTTP parser never reads past it — so the common case costs one header lookup. Only a
 * chunked body (no length) is counted while it streams in, by Hono's bodyLimit. (Hono's
 * middleware touches `c.req.raw.body` first, which makes the Node adapter build a full web
 * Request for every request: measured at ~3× the CPU of a heartbeat.)
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors.js';

export function limitBody(maxFor: (c: Context) => number): MiddlewareHandler {
  const streaming = new Map<number, MiddlewareHandler>();
  const tooLarge = (c: Context, max: number) =>
    c.json({ error: 'payload_too_large', message: `the body is larger than the limit of ${max} bytes` }, 413);
  return function limitBodyMiddleware(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const max = maxFor(c);
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if (!chunked && length !== undefined) {
      if (Number.parseInt(length, 10) > max) throw new AppError('payload_too_large', `the body is larger than the limit of ${max} bytes`);
      return next();
    }
    // Over HTTP/1.1 a body without either header is no body; app.request() (no Node socket) may
    // still carry one, so that case is counted too.
    const overNode = typeof c.env === 'object' && c.env !== null && 'incoming' in c.env;
    if (!chunked && overNode) return next();
    let limiter = streaming.get(max);
    if (!limiter) streaming.set(max, (limiter = bodyLimit({ maxSize: max, onError: (c2) => tooLarge(c2, max) })));
    return limiter(c, next);
  };
}
