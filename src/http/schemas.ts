/**
 * Request schemas of the HTTP routes: the wire contract (src/wire), re-exported for the routes.
 */
export { enrollmentBody, heartbeatBody, reenrollBody, parseHeartbeatFast, registerBody, MAX_DIAGNOSTICS, MAX_ROLES, type HeartbeatBody } from '../wire/agent.js';
export { execPollQuery, execResultBody, execResultQuery, execSubmitBody, MAX_COMMAND_CHARS, MAX_EXEC_TIMEOUT_S, MAX_POLL_WAIT_S } from '../wire/exec.js';
export { actorsQuery, drainBody, nodesQuery, patchBody, rolesBody } from '../wire/nodes.js';
