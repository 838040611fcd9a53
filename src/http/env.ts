import type { InFlight } from './requests.js';

/** Per-request variables set by middleware. */
export type AppEnv = {
  Variables: {
    inflight: InFlight;
    /** The node a node token belongs to (agent endpoints). */
    nodeId: string;
    /** The caller presented the admin token. */
    admin: boolean;
  };
};
