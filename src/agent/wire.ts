/**
 * The agent's view of the wire contract: re-exported from src/wire, where every shape that crosses
 * the network is declared once for the server, the agent and the CLI.
 */
import type { z } from 'zod';
import type { HeartbeatBody, RegisterBody } from '../wire/agent.js';
import type { execResultBody } from '../wire/exec.js';

export { FLAG_NAMES, type FlagName, type Flags } from '../wire/common.js';
export {
  enrollmentReply,
  heartbeatReply,
  provisionReply,
  recipeSchema,
  registerReply,
  type DiagnosticValue,
  type EnrollmentReply,
  type HeartbeatReply,
  type ProvisionReply,
  type Recipe,
  type RegisterReply,
} from '../wire/agent.js';
export { execDelivery as execOrder, type ExecDelivery as ExecOrder } from '../wire/exec.js';

/** Body of `POST /register`. */
export type RegisterPost = RegisterBody;
/** Body of `POST /body/heartbeat`. */
export type HeartbeatPost = HeartbeatBody;
/** Body of `POST /body/exec/result`. */
export type ExecResultPost = z.input<typeof execResultBody> & { stdout: string; stderr: string; started_at: string; finished_at: string; timed_out: boolean };
