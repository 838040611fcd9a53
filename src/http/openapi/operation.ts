/**
 * One documented HTTP operation (docs/api.md "The OpenAPI document"): what a route accepts and
 * answers, as data built from the wire schemas. The registries beside this file list every route
 * under /api/v1, /downloads and /metrics; document.ts turns them into OpenAPI 3.1, and a test holds
 * them equal to the app's routes and checks real replies against them.
 */
import type { z } from 'zod';

/**
 * Who may call: `none` (no token; with others: optional), `admin` (an admin or operator token, or
 * the dashboard's session cookie), `node` (the node's own token), `head` (a head's own node token),
 * `enrollment` (a single-use enrollment token), `fleet` (the fleet enrollment token), `metrics`
 * (an admin bearer token or `server.metrics_token`).
 */
export type Auth = 'none' | 'admin' | 'node' | 'head' | 'enrollment' | 'fleet' | 'metrics';

/** A reply: a JSON body from a wire schema, another media type, or none (204, 304, 101). */
export interface Reply {
  description: string;
  schema?: z.ZodType;
  /** Another media type than JSON: `schema` absent means bytes. */
  media?: string;
  headers?: Record<string, string>;
}

export interface Operation {
  /** The OpenAPI operationId: unique, camelCase. */
  id: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The full path with `{param}` templates, e.g. `/api/v1/nodes/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: readonly Auth[];
  query?: z.ZodType;
  body?: z.ZodType;
  /** Per status: a Reply, or a string for an error reply (`{"error","message"}`) saying when. */
  replies: Record<number, Reply | string>;
  /** A WebSocket upgrade: 101 on success, every refusal an HTTP status before the upgrade. */
  websocket?: true;
}

/** A JSON reply of `schema`. */
export const json = (schema: z.ZodType, description: string, headers?: Record<string, string>): Reply => ({ schema, description, ...(headers ? { headers } : {}) });

/** A reply without a body. */
export const empty = (description: string, headers?: Record<string, string>): Reply => ({ description, ...(headers ? { headers } : {}) });
