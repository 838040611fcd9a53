/**
 * `GET /downloads/manifest.json` and `GET /downloads/{name}` (docs/operations.md#agent-distribution): the agent's builds and
 * provider packages, without auth (they hold no secret). ETag for revalidation, one Range per
 * request (206; 416 past the end), streamed from the file opened for this request.
 */
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { AppError } from '../errors.js';
import { openRelease, releaseDirs } from '../persist/releases.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { etagMatches, parseRange } from './range.js';

const contentType = (name: string) => (name.endsWith('.json') ? 'application/json' : 'application/octet-stream');

export function downloadsRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const dirs = releaseDirs(d.home);

  app.get('/downloads/:name', async (c) => {
    const name = c.req.param('name');
    const file = await openRelease(dirs, name);
    if (!file) throw new AppError('not_found', `no download named ${JSON.stringify(name.slice(0, 200))}`);
    const etag = `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
    // Names can be rebuilt under the same version: clients revalidate with the ETag.
    const headers: Record<string, string> = { etag, 'cache-control': 'no-cache', 'accept-ranges': 'bytes', 'content-type': contentType(name) };
    const ifRange = c.req.header('if-range');
    const range = ifRange === undefined || ifRange === etag ? parseRange(c.req.header('range'), file.size) : null;
    if (etagMatches(c.req.header('if-none-match'), etag) || range === 'unsatisfiable' || c.req.method === 'HEAD') {
      await file.handle.close();
      if (range === 'unsatisfiable') {
        c.header('content-range', `bytes */${file.size}`);
        throw new AppError('range_not_satisfiable', `the range is past the end of ${name} (${file.size} bytes)`);
      }
      if (c.req.method === 'HEAD') return c.body(null, 200, { ...headers, 'content-length': String(file.size) });
      return c.body(null, 304, headers);
    }
    const { start, end } = range ?? { start: 0, end: file.size - 1 };
    if (range) headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
    headers['content-length'] = String(Math.max(0, end - start + 1));
    if (file.size === 0) {
      await file.handle.close();
      return c.body(null, 200, headers);
    }
    const stream = Readable.toWeb(file.handle.createReadStream({ start, end })) as ReadableStream<Uint8Array>;
    return c.body(stream, range ? 206 : 200, headers);
  });

  return app;
}
