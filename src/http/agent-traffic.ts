/**
 * Which requests are agent traffic (docs/operations.md#logs): the agents' own endpoints (`/api/v1/body/...`:
 * heartbeats, exec and shell long-polls, exec results, provision polls), and a head's own
 * endpoints (`/heads/{id}...`, `/bodies/eligible`) called with a node token. The request log
 * writes no line for them at info unless one is notable; everything else is an operator's.
 */
import type { Context } from 'hono';
import { bearer, classify, type AuthDeps } from './auth.js';
import type { Traffic } from './requests.js';

const AGENT_PREFIX = '/api/v1/body/';
const HEARTBEAT_PATH = '/api/v1/body/heartbeat';
const HEADS_PREFIX = '/api/v1/heads/';
const ELIGIBLE_PATH = '/api/v1/bodies/eligible';

/** The request log's `trafficOf`: by path alone on the hot path (no token is read for `/body/`). */
export function agentTraffic(auth: AuthDeps): (c: Context) => Traffic {
  return function trafficOf(c) {
    const path = c.req.path;
    if (path.startsWith(AGENT_PREFIX)) return path === HEARTBEAT_PATH ? 'heartbeat' : 'agent';
    if (!path.startsWith(HEADS_PREFIX) && path !== ELIGIBLE_PATH) return 'operator';
    // The same path serves the admin and the head itself: the token tells them apart.
    if (classify(bearer(c), auth).kind !== 'node') return 'operator';
    // A head's PUT /heads/{id} is its report and its heartbeat.
    return c.req.method === 'PUT' ? 'heartbeat' : 'agent';
  };
}
