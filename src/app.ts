/**
 * createApp(): the one HTTP application, used by `serve` and by tests: the API (src/http/api.ts)
 * with the web pages (src/web, docs/architecture.md#web-pages) mounted at / after it, server-rendered on the same actors
 * and indexes. It sits above both: the pages may use http's helpers, the API never reaches into
 * the pages.
 */
import type { Hono } from 'hono';
import { createApiApp } from './http/api.js';
import type { AppDeps } from './http/deps.js';
import type { AppEnv } from './http/env.js';
import { webRoutes } from './web/app.js';

export interface AppHandle {
  app: Hono<AppEnv>;
  /** From now on every new request gets 503 `shutting_down`. */
  beginShutdown(): void;
}

export function createApp(deps: AppDeps): AppHandle {
  const api = createApiApp(deps);
  api.app.route('/', webRoutes(api.routeDeps));
  return { app: api.app, beginShutdown: api.beginShutdown };
}
