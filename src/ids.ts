import { hash, randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

export const newNodeId = (): string => `node-${ulid()}`;
export const newEnrollmentId = (): string => `enr-${ulid()}`;
export const newExecId = (): string => `exec-${ulid()}`;
export const newBatchId = (): string => `batch-${ulid()}`;
export const newShellId = (): string => `shell-${ulid()}`;

/** Kinds of secret the server issues; the prefix lets an operator tell them apart in a config file. */
export type TokenPrefix = 'hcn' | 'hce' | 'hca' | 'hcf';

/** A fresh 256-bit secret, URL-safe. `hcn_` node, `hce_` enrollment, `hca_` admin, `hcf_` fleet. */
export const newToken = (prefix: TokenPrefix): string =>
  `${prefix}_${randomBytes(32).toString('base64url')}`;

/** SHA-256 of a token, hex. Only this is ever stored for node and enrollment tokens. */
export const hashToken = (token: string): string => hash('sha256', token, 'hex');
