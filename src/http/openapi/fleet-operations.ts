/**
 * The documented operations of health and debugging, enrollment, the agents' endpoints, nodes and
 * single-node exec (docs/api.md). head-operations.ts lists the rest.
 */
import { z } from 'zod';
import { configSchema } from '../../config.js';
import * as w from '../../wire/index.js';
import { empty, json, type Operation } from './operation.js';

const API = '/api/v1';
const nodeList = z.array(w.nodeView);

export const fleetOperations: Operation[] = [
  {
    id: 'getHealth', method: 'get', path: `${API}/health`, tag: 'system', auth: ['none'],
    summary: 'Server health: node counts by state, stalled exec queues',
    replies: { 200: json(w.healthReply, 'ok'), 503: json(w.healthReply, '`degraded`: an actor has had a message waiting over 5 s (`stuck` names it)') },
  },
  {
    id: 'listActors', method: 'get', path: `${API}/debug/actors`, tag: 'system', auth: ['admin'], query: w.actorsQuery,
    summary: 'The actors, busiest first',
    replies: { 200: json(z.array(w.actorSummary), 'at most `limit` actors', { 'X-Total-Count': 'how many actors match' }) },
  },
  {
    id: 'getActor', method: 'get', path: `${API}/debug/actors/{id}`, tag: 'system', auth: ['admin'],
    summary: "One actor: summary, context (no secrets) and the messages waiting in its mailbox",
    description: 'The id may hold slashes (`<node id>/exec`, `<node id>/head`).',
    replies: { 200: json(w.actorDetail, 'the actor') },
  },
  {
    id: 'listRequests', method: 'get', path: `${API}/debug/requests`, tag: 'system', auth: ['admin'],
    summary: 'HTTP requests in flight, oldest first, and the actor each waits on',
    replies: { 200: json(z.array(w.inflightRequest), 'the requests in flight') },
  },
  {
    id: 'createEnrollment', method: 'post', path: `${API}/enrollments`, tag: 'enrollment', auth: ['none', 'admin'], body: w.enrollmentBody,
    summary: 'Issue a single-use enrollment token and its install commands',
    description: 'Without a token: rate-limited per client address, and refused while `max_pending_enrollments` nodes wait in `enrolling`.',
    replies: { 201: json(w.enrollmentReply, 'the enrollment (node now `enrolling`)'), 429: '`rate_limited` (with `Retry-After`)' },
  },
  {
    id: 'reenrollNode', method: 'post', path: `${API}/nodes/{id}/enrollment`, tag: 'enrollment', auth: ['admin'], body: w.reenrollBody,
    summary: 'Re-enrollment: a single-use token that gives an existing node a new token',
    replies: { 201: json(w.reenrollReply, 'the re-enrollment'), 409: '`wrong_kind`: an iPad enrolls again with the fleet QR' },
  },
  {
    id: 'register', method: 'post', path: `${API}/register`, tag: 'enrollment', auth: ['enrollment'], body: w.registerBody,
    summary: "Redeem an enrollment token for the node's own token (what `hydranode install` does)",
    replies: { 200: json(w.registerReply, 'the node token, shown once') },
  },
  {
    id: 'heartbeat', method: 'post', path: `${API}/body/heartbeat`, tag: 'agent', auth: ['node'], body: w.heartbeatBody,
    summary: "The agent's heartbeat: what it reports, and the flags and work waiting for it",
    replies: { 200: json(w.heartbeatReply, 'the node as the server sees it, flags, pending work, limits') },
  },
  {
    id: 'provisionPoll', method: 'get', path: `${API}/body/provision`, tag: 'agent', auth: ['node'],
    summary: "The provision poll: the node's roles, recipes and provider packages",
    replies: { 200: json(w.provisionReply, 'what to install') },
  },
  {
    id: 'pollExec', method: 'get', path: `${API}/body/exec`, tag: 'agent', auth: ['node'], query: w.execPollQuery,
    summary: 'Long-poll for the next exec (0–30 s)',
    replies: { 200: json(w.execDelivery, 'the oldest queued exec, now `delivered`'), 204: empty('no exec arrived within `wait`') },
  },
  {
    id: 'postExecResult', method: 'post', path: `${API}/body/exec/result`, tag: 'agent', auth: ['node'], body: w.execResultBody,
    summary: "Report an exec's result",
    description: 'Body limit: `max_body_bytes` + 2 × `exec.max_output_bytes`. Posting the same id again, or a late result, is a no-op 200.',
    replies: { 200: json(w.okReply, 'recorded (or already)'), 404: '`not_found`: not an exec of this node (or one a restart forgot)', 409: '`wrong_state`: the exec was never delivered' },
  },
  {
    id: 'listNodes', method: 'get', path: `${API}/nodes`, tag: 'nodes', auth: ['admin'], query: w.nodesQuery,
    summary: 'Node objects, filtered',
    replies: { 200: json(nodeList, 'the matching nodes') },
  },
  {
    id: 'getNode', method: 'get', path: `${API}/nodes/{id}`, tag: 'nodes', auth: ['admin'],
    summary: 'One node object', replies: { 200: json(w.nodeView, 'the node') },
  },
  {
    id: 'updateNode', method: 'patch', path: `${API}/nodes/{id}`, tag: 'nodes', auth: ['admin'], body: w.patchBody,
    summary: "Change a node's name, owner, district, venue or kind",
    replies: { 200: json(w.nodeView, 'the node'), 409: '`wrong_kind`: a kind change between body and head' },
  },
  {
    id: 'deleteNode', method: 'delete', path: `${API}/nodes/{id}`, tag: 'nodes', auth: ['admin'],
    summary: 'Delete a node; its token stops working at once', replies: { 204: empty('deleted') },
  },
  {
    id: 'setRoles', method: 'post', path: `${API}/nodes/{id}/roles`, tag: 'nodes', auth: ['admin'], body: w.rolesBody,
    summary: "Set a node's roles (names from the RoleCatalog)",
    replies: { 200: json(w.nodeView, 'the node') },
  },
  {
    id: 'listRoles', method: 'get', path: `${API}/roles`, tag: 'nodes', auth: ['admin'],
    summary: 'The RoleCatalog (config.yaml `roles`)', replies: { 200: json(configSchema.shape.roles, 'role name → entry') },
  },
  ...(['update-node', 'update-services'] as const).map(
    (flag): Operation => ({
      id: flag === 'update-node' ? 'flagUpdateNode' : 'flagUpdateServices', method: 'post', path: `${API}/nodes/{id}/${flag}`, tag: 'nodes', auth: ['admin'],
      summary: `Set the \`${flag.replace('-', '_')}\` flag`, replies: { 202: json(w.nodeView, 'flag set; the agent acts on it at its next heartbeat') },
    }),
  ),
  {
    id: 'reprovisionNode', method: 'post', path: `${API}/nodes/{id}/reprovision`, tag: 'nodes', auth: ['admin'],
    summary: 'Set the `reprovision` flag: a clean reinstall of every role', replies: { 202: json(w.nodeView, 'flag set, node `provisioning`') },
  },
  {
    id: 'drainNode', method: 'post', path: `${API}/nodes/{id}/drain`, tag: 'nodes', auth: ['admin'], body: w.drainBody,
    summary: 'Drain or undrain a body (never eligible for new heads while drained)',
    replies: { 200: json(w.nodeView, 'the node'), 409: '`wrong_kind`: a head' },
  },
  {
    id: 'submitExec', method: 'post', path: `${API}/nodes/{id}/exec`, tag: 'exec', auth: ['admin'], body: w.execSubmitBody,
    summary: "Queue a command on one node's exec queue",
    replies: { 202: json(w.execSubmitReply, 'queued'), 409: '`no_exec_channel`: an iPad', 429: '`queue_full`: the queue holds `exec.max_queue` execs' },
  },
  {
    id: 'getExecQueue', method: 'get', path: `${API}/nodes/{id}/exec`, tag: 'exec', auth: ['admin'],
    summary: "A node's exec queue: delivered and queued execs", replies: { 200: json(w.execQueueView, 'the queue') },
  },
  {
    id: 'clearExecQueue', method: 'delete', path: `${API}/nodes/{id}/exec`, tag: 'exec', auth: ['admin'],
    summary: 'Cancel every queued and delivered exec of a node', replies: { 200: json(w.execCancelAllReply, 'how many were cancelled') },
  },
  {
    id: 'getExecResult', method: 'get', path: `${API}/nodes/{id}/exec/{execId}/result`, tag: 'exec', auth: ['admin'], query: w.execResultQuery,
    summary: "An exec's result; `?wait=N` (0–60 s) answers the moment it finishes",
    replies: { 200: json(w.execResultView, 'finished'), 202: json(w.execPendingView, 'not finished within `wait`') },
  },
  {
    id: 'cancelExec', method: 'delete', path: `${API}/nodes/{id}/exec/{execId}`, tag: 'exec', auth: ['admin'],
    summary: 'Cancel one exec (a running one: its agent is told to kill it)',
    replies: { 200: json(w.execCancelReply, 'the exec, now `cancelled`, and what was stopped'), 409: '`already_finished`' },
  },
  {
    id: 'getExec', method: 'get', path: `${API}/execs/{execId}`, tag: 'exec', auth: ['admin'], query: w.execViewQuery,
    summary: 'An exec by its id alone; `?wait=N` (0–60 s) until it is finished and no kill report is awaited',
    replies: { 200: json(w.execView, 'the exec, with its result once finished'), 204: empty('the client went away while it waited') },
  },
  {
    id: 'cancelExecById', method: 'delete', path: `${API}/execs/{execId}`, tag: 'exec', auth: ['admin'],
    summary: 'Cancel one exec by its id alone',
    replies: { 200: json(w.execCancelReply, 'the exec, now `cancelled`, and what was stopped'), 409: '`already_finished`' },
  },
  {
    id: 'watchCancel', method: 'get', path: `${API}/body/exec/{execId}/cancel`, tag: 'agent', auth: ['node'], query: w.cancelWatchQuery,
    summary: "The agent's cancel channel, held beside the exec it runs (long-poll, 0–30 s)",
    replies: { 200: json(w.cancelWatchReply, 'the exec ended: `cancelled: true` — kill it'), 204: empty('still running after `wait`') },
  },
];
