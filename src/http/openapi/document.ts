/**
 * The OpenAPI 3.1 document (`GET /api/v1/openapi.json`), built from the operation registries and
 * the zod schemas of src/wire: request bodies and queries as the schema's input side (defaults
 * optional, unknown keys ignored as the server ignores them), replies as its output side (every
 * field the server sends, and nothing else). Every wire schema a reply uses becomes a named
 * component (`nodeView` → `NodeView`). See docs/api.md "The OpenAPI document".
 */
import { z } from 'zod';
import * as wire from '../../wire/index.js';
import { fleetOperations } from './fleet-operations.js';
import { headOperations } from './head-operations.js';
import type { Auth, Operation, Reply } from './operation.js';

type Json = Record<string, unknown>;

/** Every documented operation, in the document's order. */
export const OPERATIONS: readonly Operation[] = [...fleetOperations, ...headOperations];

const REF = '#/components/schemas/';
const pascal = (name: string) => name[0]!.toUpperCase() + name.slice(1).replace(/Schema$/, '');

/** Every zod schema src/wire exports, named after its export. */
function wireRegistry(): z.core.$ZodRegistry<{ id: string }> {
  const reg = z.registry<{ id: string }>();
  for (const [name, value] of Object.entries(wire)) if (value instanceof z.ZodType && !reg.has(value)) reg.add(value, { id: pascal(name) });
  return reg;
}

/** A JSON Schema without its dialect line, its `$defs` turned into component references. */
function componentRefs(schema: Json): Json {
  const { $schema: _dialect, $id: _id, $defs: _defs, ...rest } = schema;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/$defs/', `"${REF}`)) as Json;
}

const SECURITY: Record<Exclude<Auth, 'none'>, Array<Record<string, string[]>>> = {
  admin: [{ adminToken: [] }, { adminSession: [] }],
  node: [{ nodeToken: [] }],
  head: [{ nodeToken: [] }],
  enrollment: [{ enrollmentToken: [] }],
  fleet: [{ fleetToken: [] }],
  metrics: [{ adminToken: [] }, { metricsToken: [] }],
};

const bearer = (description: string) => ({ type: 'http', scheme: 'bearer', description });
const SECURITY_SCHEMES = {
  adminToken: bearer("`server.admin_token`, or an operator's token (`operators.<name>`): recorded in the audit log under that name"),
  adminSession: { type: 'apiKey', in: 'cookie', name: 'hc_session', description: "The dashboard's session (`POST /login`); a change also needs `X-CSRF-Token` and an `Origin` of `public_url`" },
  nodeToken: bearer("A node's own token, issued by `POST /register` (an iPad's by `POST /heads`): its agent endpoints, and a head's own head endpoints"),
  enrollmentToken: bearer('A single-use enrollment token: `POST /register` only'),
  fleetToken: bearer('`server.fleet_enrollment_token`: `POST /heads` only'),
  metricsToken: bearer('`server.metrics_token`: `GET /metrics` only'),
};

/** Errors every operation of its kind may answer, unless it documents the status itself. */
function commonErrors(op: Operation): Record<number, string> {
  const out: Record<number, string> = {};
  if (op.body || op.query || op.websocket) out[400] = '`invalid_json` or `invalid_request`: the message names the field';
  if (!op.auth.includes('none')) {
    out[401] = '`unauthorized`: no token, or an unknown one';
    out[403] = '`forbidden`: a valid token outside its rights (`cross_origin`: a session-cookie change not from `public_url`)';
    out[429] = '`rate_limited`: too many failed authentications from this address (`Retry-After`)';
  }
  if (op.path.includes('{')) out[404] = '`not_found`: the id does not exist';
  if (op.body) out[413] = '`payload_too_large`: the body is over `max_body_bytes`';
  out[503] = '`shutting_down`, `actor_timeout` or `persist_failed`';
  return out;
}

export interface BuiltDocument {
  document: Json;
  /** The JSON pointer (into `document`) of each documented reply's schema: `operationId` → status → pointer. */
  replyPointers: Map<string, Map<number, string>>;
}

/** Builds the document; `servers` are added by the route (they depend on `public_url`). */
export function buildOpenApi(version: string, ops: readonly Operation[] = OPERATIONS): BuiltDocument {
  const reg = wireRegistry();
  const all = z.toJSONSchema(reg, { io: 'output', unrepresentable: 'any', uri: (id) => `${REF}${id}` }) as unknown as { schemas: Record<string, Json> };
  const replySchema = (s: z.ZodType): Json => {
    const id = reg.get(s)?.id;
    if (id) return { $ref: `${REF}${id}` };
    return componentRefs(z.toJSONSchema(s, { io: 'output', unrepresentable: 'any', metadata: reg }) as Json);
  };
  const requestSchema = (s: z.ZodType): Json => componentRefs(z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json);
  const paths: Record<string, Json> = {};
  const replyPointers = new Map<string, Map<number, string>>();
  const seen = new Set<string>();

  for (const op of ops) {
    if (seen.has(op.id)) throw new Error(`operationId ${op.id} is used twice`);
    seen.add(op.id);
    const replies: Record<number, Reply | string> = { ...commonErrors(op), ...op.replies };
    const pointers = new Map<number, string>();
    const responses: Json = {};
    for (const [code, r] of Object.entries(replies).sort(([a], [b]) => Number(a) - Number(b))) {
      const reply: Reply = typeof r === 'string' ? { description: r, schema: wire.errorBody } : r;
      const media = reply.media ?? 'application/json';
      const out: Json = { description: reply.description };
      if (reply.headers) out.headers = Object.fromEntries(Object.entries(reply.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]));
      if (reply.schema) {
        out.content = { [media]: { schema: replySchema(reply.schema) } };
        pointers.set(Number(code), pointer(['paths', op.path, op.method, 'responses', code, 'content', media, 'schema']));
      } else if (reply.media) out.content = { [media]: {} };
      responses[code] = out;
    }
    replyPointers.set(op.id, pointers);
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (op.query) {
      const q = requestSchema(op.query) as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema } as never);
    }
    const upgrade = 'A WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`): every refusal is an HTTP status before the upgrade.';
    const description = [op.description, op.websocket ? upgrade : undefined].filter(Boolean).join('\n\n');
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      ...(description ? { description } : {}),
      security: op.auth.flatMap((a) => (a === 'none' ? [{}] : SECURITY[a])).filter((s, i, l) => l.findIndex((t) => JSON.stringify(t) === JSON.stringify(s)) === i),
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: requestSchema(op.body) } } } } : {}),
      responses,
    };
  }

  const document: Json = {
    openapi: '3.1.0',
    info: {
      title: 'HydraCluster API',
      version,
      description: 'The HTTP API of a HydraCluster server, built from its wire schemas (src/wire). The concepts behind it (lifecycle, flags, exec states and long-polls, fleet exec, shell sessions, heads, providers) are in docs/api.md. Errors are `{"error": "<code>", "message": "<sentence>"}`.',
    },
    tags: ['system', 'enrollment', 'agent', 'nodes', 'exec', 'heads', 'shell', 'downloads'].map((name) => ({ name })),
    paths,
    components: { schemas: reachable(paths, all.schemas), securitySchemes: SECURITY_SCHEMES },
  };
  return { document, replyPointers };
}

/** The component schemas `paths` refers to, directly or through each other. */
function reachable(paths: Json, schemas: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  const visit = (node: unknown) => {
    for (const m of JSON.stringify(node).matchAll(/"#\/components\/schemas\/(\w+)"/g)) {
      const id = m[1]!;
      if (out[id] || !schemas[id]) continue;
      out[id] = componentRefs(schemas[id]);
      visit(out[id]);
    }
  };
  visit(paths);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** A JSON pointer from its segments. */
const pointer = (segments: string[]) => `#/${segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
