/**
 * `GET /api/v1/openapi.json` (no auth: it holds no secret, like /health and /downloads): the API
 * as OpenAPI 3.1, built once from the wire schemas (src/http/openapi/), with `public_url` as its
 * server (read per request: a reload may change it).
 */
import { Hono } from 'hono';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { buildOpenApi } from './openapi/document.js';

export function openApiRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let document: Record<string, unknown> | null = null;
  app.get('/openapi.json', (c) => {
    document ??= buildOpenApi(d.version).document;
    return c.json({ ...document, servers: [{ url: d.config.server.public_url }] });
  });
  return app;
}
