import type { InFlight } from './request-registry.js';

/** Per-request variables set by middleware. */
export type AppEnv = {
  Variables: {
    inflight: InFlight;
    /** The node a node token belongs to (agent endpoints). */
    nodeId: string;
    /** The caller presented the admin token. */
    admin: boolean;
    /** Whose admin token it was (`admin` for server.admin_token): recorded in the audit log. */
    operator: string;
    /** The validated request body (set by readJson), for the audit line's detail. */
    body: unknown;
    /** What a handler adds to its audit line (e.g. the exec id it created). */
    auditNote: Record<string, unknown>;
  };
};
