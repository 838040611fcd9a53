/**
 * Checks real replies against the OpenAPI document (src/http/openapi/): finds the operation of a
 * (method, path), and validates the status, the media type and the body with Ajv (JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1) — a maintained validator, not ours.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { buildOpenApi } from '../../src/http/openapi/document.js';

// ajv-formats is CommonJS: the plugin is module.exports, which also carries itself as `default`.
const addFormats = addFormatsModule.default;

export interface Recorded {
  method: string;
  path: string;
  status: number;
  media: string;
  body: string;
}

/** A documented (method, path template) as a matcher; concrete templates win over `{param}` ones. */
interface Route {
  method: string;
  template: string;
  re: RegExp;
  params: number;
  id: string;
}

export function replyChecker(version = 'test') {
  const { document, replyPointers } = buildOpenApi(version);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi.json');
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)) {
    for (const [method, op] of Object.entries(item)) {
      const escaped = template.replace(/[.]/g, '\\.');
      const re = new RegExp(`^${escaped.replace(/\{\w+\}/g, '[^/]+')}$`);
      const params = (template.match(/\{/g) ?? []).length;
      routes.push({ method: method.toUpperCase(), template, re, params, id: op.operationId });
      // A last parameter may hold slashes (`/debug/actors/<node id>/exec`): tried after every exact match.
      const tail = escaped.replace(/\{\w+\}$/, '.+');
      if (tail !== escaped) routes.push({ method: method.toUpperCase(), template, re: new RegExp(`^${tail.replace(/\{\w+\}/g, '[^/]+')}$`), params: 100 + params, id: op.operationId });
    }
  }
  routes.sort((a, b) => a.params - b.params);

  const routeOf = (method: string, path: string): Route | undefined => {
    const bare = path.split('?')[0]!;
    return routes.find((r) => r.method === method && r.re.test(bare));
  };

  /** What is wrong with one recorded reply (empty: it matches its documented schema). */
  function problems(r: Recorded): string[] {
    const route = routeOf(r.method, r.path);
    if (!route) return [`${r.method} ${r.path}: no documented operation`];
    const op = (document.paths as any)[route.template][route.method.toLowerCase()];
    const documented = op.responses[String(r.status)];
    const where = `${r.method} ${r.path} → ${r.status} (${route.id})`;
    if (!documented) return [`${where}: status not documented`];
    const media = Object.keys(documented.content ?? {});
    if (media.length === 0) return r.body === '' ? [] : [`${where}: documented without a body, got ${r.body.length} bytes`];
    if (!media.some((m) => r.media.startsWith(m))) return [`${where}: media ${r.media}, documented ${media.join(', ')}`];
    const ptr = replyPointers.get(route.id)?.get(r.status);
    if (!ptr) return [];
    const validate = ajv.getSchema(`openapi.json${ptr}`);
    if (!validate) return [`${where}: no schema at ${ptr}`];
    const data = r.media.startsWith('application/json') ? JSON.parse(r.body) : r.body;
    if (validate(data)) return [];
    return [`${where}: ${ajv.errorsText(validate.errors, { separator: '; ' })} in ${r.body.slice(0, 300)}`];
  }

  return { document, problems, routeOf };
}

/** Reads a reply into a record (the body as text; bytes are not kept). */
export async function record(method: string, path: string, res: Response): Promise<Recorded> {
  const media = res.headers.get('content-type') ?? '';
  const binary = media.startsWith('image/') || media.startsWith('application/octet-stream');
  const body = binary ? (await res.arrayBuffer(), '') : await res.text();
  return { method, path, status: res.status, media, body };
}
