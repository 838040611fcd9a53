/**
 * The documented operations of heads and bodies, fleet exec, shell sessions, audit, config,
 * metrics, downloads and this document itself (docs/api.md). fleet-operations.ts lists the rest.
 */
import { z } from 'zod';
import * as w from '../../wire/index.js';
import { empty, json, type Operation } from './operation.js';

const API = '/api/v1';
const headList = z.array(w.headView);
const headReply = json(w.headView, 'the head object');
const execChannel = '`gateway_timeout`: the head\'s exec channel gave no answer in time (the exec is cancelled)';

export const headOperations: Operation[] = [
  {
    id: 'listHeads', method: 'get', path: `${API}/heads`, tag: 'heads', auth: ['admin'],
    summary: 'Every head object', replies: { 200: json(headList, 'the heads') },
  },
  {
    id: 'registerHead', method: 'post', path: `${API}/heads`, tag: 'heads', auth: ['fleet'], body: w.headCreateBody,
    summary: 'iPad self-registration with the fleet enrollment token',
    replies: { 201: json(w.headCreateReply, 'the head, `online` at once'), 429: '`rate_limited`, or `too_many_pending_heads`' },
  },
  {
    id: 'getHead', method: 'get', path: `${API}/heads/{id}`, tag: 'heads', auth: ['admin', 'head'],
    summary: 'One head object (a head may read its own)', replies: { 200: headReply, 409: '`wrong_kind`: a body' },
  },
  {
    id: 'reportHead', method: 'put', path: `${API}/heads/{id}`, tag: 'heads', auth: ['admin', 'head'], body: w.headPutBody,
    summary: "A head's report; from the head's own token also its heartbeat",
    replies: { 200: headReply, 409: '`wrong_kind`: a body' },
  },
  {
    id: 'getEnrollQr', method: 'get', path: `${API}/enroll-qr`, tag: 'heads', auth: ['admin'],
    summary: 'The iPad enrollment QR payload (holds the fleet token)', replies: { 200: json(w.enrollQrReply, 'the JSON the QR encodes') },
  },
  {
    id: 'assignHead', method: 'post', path: `${API}/nodes/{id}/head-assignment`, tag: 'heads', auth: ['admin'], body: w.headAssignmentBody,
    summary: 'Pin a body to a head (`body_id: null` clears): an admin override',
    replies: { 200: headReply, 409: '`wrong_kind`: a body in the path, or a head as `body_id`' },
  },
  {
    id: 'setAllowedExperiences', method: 'post', path: `${API}/nodes/{id}/allowed-experiences`, tag: 'heads', auth: ['admin'], body: w.allowedExperiencesBody,
    summary: "A head's experience allow-list (`[]`: no filter)", replies: { 200: headReply, 409: '`wrong_kind`: a body' },
  },
  {
    id: 'eligibleBodies', method: 'get', path: `${API}/bodies/eligible`, tag: 'heads', auth: ['head', 'admin'], query: w.eligibleQuery,
    summary: 'The bodies a head may stream from, best first (an admin names the head with `head_id`)',
    replies: { 200: json(z.array(w.eligibleBody), 'eligible bodies, best first'), 409: '`wrong_kind`: `head_id` names a body' },
  },
  {
    id: 'headExperiences', method: 'get', path: `${API}/heads/{id}/experiences`, tag: 'heads', auth: ['admin', 'head'],
    summary: "The experience library's live catalog for the head's district and venue",
    replies: {
      200: json(z.array(w.experienceItem), 'the catalog, intersected with a non-empty allow-list'),
      409: '`wrong_kind`: a body', 502: '`bad_gateway`: the library failed', 503: '`experience_library_not_configured`', 504: '`gateway_timeout`: no answer in 5 s',
    },
  },
  {
    id: 'headScreenshot', method: 'get', path: `${API}/heads/{id}/screenshot`, tag: 'heads', auth: ['admin'],
    summary: "The head's desktop screenshot, read through its exec channel",
    replies: {
      200: { description: 'the JPEG', media: 'image/jpeg', headers: { 'X-Screenshot-Age-S': 'age of the file on the head, seconds' } },
      409: '`wrong_kind`: a body; `no_exec_channel`: an iPad', 429: '`queue_full`', 502: '`bad_gateway`: no screenshot, or older than `screenshot.max_age_s`', 504: execChannel,
    },
  },
  {
    id: 'headLogs', method: 'get', path: `${API}/heads/{id}/logs`, tag: 'heads', auth: ['admin'],
    summary: "The last 200 lines of the head agent's log, read through its exec channel",
    replies: { 200: json(w.headLogsReply, 'the lines'), 409: '`wrong_kind`: a body; `no_exec_channel`: an iPad', 429: '`queue_full`', 502: '`bad_gateway`: the file cannot be read', 504: execChannel },
  },
  {
    id: 'submitFleetExec', method: 'post', path: `${API}/exec`, tag: 'exec', auth: ['admin'], body: w.batchSubmitBody,
    summary: 'Fleet exec: one command on every node a target selects',
    replies: { 202: json(w.batchSubmitReply, 'the batch and where its execs went'), 200: json(w.batchSubmitReply, 'no node got an exec'), 429: '`too_many_batches`' },
  },
  {
    id: 'getBatch', method: 'get', path: `${API}/exec/batches/{batchId}`, tag: 'exec', auth: ['admin'], query: w.batchQuery,
    summary: 'One page of a batch; `?wait` parks until it finished, `?since=K` until one more member did',
    replies: { 200: json(w.batchView, 'the page') },
  },
  {
    id: 'openShell', method: 'get', path: `${API}/nodes/{id}/shell`, tag: 'shell', auth: ['admin'], query: w.shellOpenQuery, websocket: true,
    summary: 'WebSocket upgrade: a PTY session on the node',
    replies: { 101: empty('the session: binary frames are PTY bytes, text frames JSON control messages'), 409: '`no_exec_channel`: an iPad', 429: '`too_many_sessions`' },
  },
  {
    id: 'shellCheck', method: 'get', path: `${API}/body/shell/check`, tag: 'agent', auth: ['node'], query: w.shellCheckQuery,
    summary: 'Long-poll (0–30 s) for shell sessions waiting for this node',
    replies: { 200: json(w.shellCheckReply, 'the waiting sessions (answered the moment one opens)') },
  },
  {
    id: 'attachShell', method: 'get', path: `${API}/body/shell/{sessionId}`, tag: 'agent', auth: ['node'], websocket: true,
    summary: "WebSocket upgrade: the agent's end of a shell session",
    replies: { 101: empty('attached'), 409: '`wrong_state`: already attached' },
  },
  {
    id: 'queryAudit', method: 'get', path: `${API}/audit`, tag: 'system', auth: ['admin'], query: w.auditQuery,
    summary: 'The audit log, newest first', replies: { 200: json(z.array(w.auditEntry), 'the lines') },
  },
  {
    id: 'reloadConfig', method: 'post', path: `${API}/config/reload`, tag: 'system', auth: ['admin'],
    summary: 'Read config.yaml again and swap it in whole',
    replies: { 200: json(w.configReloadReply, 'the changed keys'), 400: '`invalid_config`: the key named; the running config stays' },
  },
  {
    id: 'createBackup', method: 'post', path: `${API}/backups`, tag: 'system', auth: ['admin'], body: w.backupRequest,
    summary: "A consistent, compacted nodes.yaml written on the server's own disk (`out`, else `<home>/backups/`)",
    description: 'The file holds token hashes, so it stays on the server: the reply names it, its size and SHA-256.',
    replies: { 201: json(w.backupReply, 'the file written'), 503: '`persist_failed`: the file could not be written; or `shutting_down`, `actor_timeout`' },
  },
  {
    id: 'getOpenApi', method: 'get', path: `${API}/openapi.json`, tag: 'system', auth: ['none'],
    summary: 'This document', replies: { 200: json(z.record(z.string(), z.unknown()), 'OpenAPI 3.1') },
  },
  {
    id: 'getMetrics', method: 'get', path: '/metrics', tag: 'system', auth: ['metrics'],
    summary: 'Prometheus metrics (text exposition format)',
    replies: { 200: { description: 'the metrics', media: 'text/plain', schema: z.string() } },
  },
  {
    id: 'getReleaseManifest', method: 'get', path: '/downloads/manifest.json', tag: 'downloads', auth: ['none'],
    summary: "The agent release's manifest", replies: { 200: json(w.releaseManifest, 'version and files'), 304: empty('`If-None-Match` matched') },
  },
  {
    id: 'download', method: 'get', path: '/downloads/{name}', tag: 'downloads', auth: ['none'],
    summary: 'A release file (agent builds, provider packages): ETag, one Range',
    replies: {
      200: { description: 'the file', media: 'application/octet-stream', headers: { ETag: 'size and mtime', 'Accept-Ranges': '`bytes`' } },
      206: { description: 'the range asked for', media: 'application/octet-stream', headers: { 'Content-Range': 'the range sent' } },
      304: empty('`If-None-Match` matched'),
      416: '`range_not_satisfiable` (`Content-Range: bytes */size`)',
    },
  },
];
