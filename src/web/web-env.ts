import type { AppEnv } from '../http/env.js';
import type { Session } from '../http/session.js';

/** The API's per-request variables plus the page's admin session (set by needSession). */
export type WebEnv = { Variables: AppEnv['Variables'] & { session: Session } };

/** A request from the live refresh wants only the part of the page that changes. */
export const wantsFragment = (header: string | undefined): boolean => header === 'live';
