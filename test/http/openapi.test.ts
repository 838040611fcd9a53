/**
 * The OpenAPI document (docs/api.md "The OpenAPI document"): valid OpenAPI 3.1 by a maintained
 * validator, served without auth, and equal to the app's routes — a route without a documented
 * operation, or a documented operation without a route, fails here.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/http/openapi/document.js';
import { harness, type Harness } from '../support/harness.js';

/** The parts of the app the document covers; the HTML pages, /static and /login are not API. */
const DOCUMENTED = /^\/(api\/v1\/|downloads\/|metrics$)/;

/** Hono's `:name` and `:name{regex}` as OpenAPI's `{name}`. */
const asTemplate = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');

/** Does the Hono route `path` serve the documented `template` (`/downloads/{name}` serves `/downloads/manifest.json`)? */
function serves(routePath: string, template: string): boolean {
  const re = new RegExp(`^${asTemplate(routePath).replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`);
  return asTemplate(routePath) === template || re.test(template.replace(/\{\w+\}/g, 'x'));
}

describe('the OpenAPI document', () => {
  let h: Harness;
  let served: Record<string, any>;
  beforeAll(async () => {
    h = await harness();
    const res = await h.req('GET', '/openapi.json', { token: null });
    expect(res.status).toBe(200);
    served = (await res.json()) as Record<string, any>;
  });

  it('when fetched without a token, then it is OpenAPI 3.1 that a maintained validator accepts', async () => {
    expect(served.openapi).toBe('3.1.0');
    expect(served.servers).toEqual([{ url: h.core.live.current.server.public_url }]);
    await expect(SwaggerParser.validate(structuredClone(served) as never)).resolves.toBeTruthy();
  });

  it('when a schema is broken, then the validator refuses it (the check can fail)', async () => {
    const broken = structuredClone(served);
    broken.paths['/api/v1/nodes'].get.responses['200'] = { content: {} }; // a response needs a description
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('when the app lists its routes, then each one under /api/v1, /downloads and /metrics has a documented operation', () => {
    const routes = h.handle.app.routes.filter((r) => r.method !== 'ALL' && DOCUMENTED.test(r.path));
    expect(routes.length).toBeGreaterThan(40);
    const undocumented = routes
      .filter((r) => !OPERATIONS.some((op) => op.method === r.method.toLowerCase() && asTemplate(r.path) === op.path))
      .filter((r) => !OPERATIONS.some((op) => op.method === r.method.toLowerCase() && serves(r.path, op.path)));
    expect(undocumented.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('when the registry documents an operation, then the app has a route that serves it', () => {
    const routes = h.handle.app.routes.filter((r) => r.method !== 'ALL');
    const orphans = OPERATIONS.filter((op) => !routes.some((r) => r.method.toLowerCase() === op.method && serves(r.path, op.path)));
    expect(orphans.map((op) => `${op.method.toUpperCase()} ${op.path}`)).toEqual([]);
  });

  it('when a route carries a path parameter, then its operation documents a 404', () => {
    for (const [path, item] of Object.entries(served.paths as Record<string, Record<string, any>>)) {
      for (const op of Object.values(item)) if (path.includes('{')) expect(op.responses, `${path}`).toHaveProperty('404');
    }
  });
});
