/**
 * Heads and bodies on the wire (docs/api.md#heads-and-eligibility): the head object, the iPad self-registration, the
 * enrollment QR, assignments, allowed experiences, eligible bodies and the exec-channel replies.
 */
import { z } from 'zod';
import { NODE_KINDS, displayText, name, text } from './common.js';
import { MAX_DIAGNOSTICS, diagnosticValue } from './agent.js';

export const HEAD_STATUSES = ['idle', 'streaming', 'error'] as const;
export type HeadStatus = (typeof HEAD_STATUSES)[number];

/** A head's allow-list holds at most this many experience ids. */
export const MAX_ALLOWED_EXPERIENCES = 1000;

/** `POST /heads` (fleet enrollment token): an iPad registers itself. */
export const headCreateBody = z.object({
  name,
  district: displayText(64).default(''),
  venue: displayText(64).default(''),
  owner: displayText(128).default(''),
});
export type HeadCreateBody = z.input<typeof headCreateBody>;

export const headCreateReply = z.object({ head_id: z.string(), token: z.string(), server_url: z.string() });
export type HeadCreateReply = z.output<typeof headCreateReply>;

/** `GET /enroll-qr` (admin): the JSON an iPad scans. */
export const enrollQrReply = z.object({ server_url: z.string(), enrollment_token: z.string() });
export type EnrollQrReply = z.output<typeof enrollQrReply>;

const diagnostics = z
  .record(text(64), diagnosticValue)
  .refine((d) => Object.keys(d).length <= MAX_DIAGNOSTICS, `must have at most ${MAX_DIAGNOSTICS} keys`);

/**
 * `PUT /heads/{id}` (admin or that head); also the head's heartbeat. `streaming_body_id` (an
 * addition to docs/api.md#heads-and-eligibility): the body the head streams from, when it picked one itself; it counts
 * toward that body's `active_heads` while the status is `streaming` (else the assigned body does).
 */
export const headPutBody = z.object({
  status: z.enum(HEAD_STATUSES).optional(),
  diagnostics: diagnostics.optional(),
  streaming_body_id: text(64).nullable().optional(),
});
export type HeadPutBody = z.output<typeof headPutBody>;

/** `POST /nodes/{id}/head-assignment` (admin override); `body_id: null` clears. */
export const headAssignmentBody = z.object({
  body_id: text(64).nullable(),
  app_id: text(128).nullable().optional(),
});
export type HeadAssignmentBody = z.output<typeof headAssignmentBody>;

/** `POST /nodes/{id}/allowed-experiences`; `[]` = no filter. */
export const allowedExperiencesBody = z.object({
  experiences: z.array(text(128)).max(MAX_ALLOWED_EXPERIENCES, `must list at most ${MAX_ALLOWED_EXPERIENCES} experiences`),
});

/** `GET /bodies/eligible`: an admin names the head. */
export const eligibleQuery = z.object({ head_id: text(64).optional() });

const nullableString = z.string().nullable();

/** The head object (docs/api.md#heads-and-eligibility). `diagnostics` is omitted when empty. */
export const headView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(NODE_KINDS),
  district: z.string(),
  venue: z.string(),
  owner: z.string(),
  status: z.enum(HEAD_STATUSES),
  node_status: z.enum(['online', 'offline']),
  last_seen: nullableString,
  body_id: nullableString,
  assigned_body_name: nullableString,
  app_id: nullableString,
  stream_url: nullableString,
  stream_url_lan: nullableString,
  allowed_experiences: z.array(z.string()),
  experience_library_url: z.string(),
  diagnostics: z.record(z.string(), z.unknown()).optional(),
});
export type HeadView = z.output<typeof headView>;

/** One item of `GET /bodies/eligible`, best first. */
export const eligibleBody = z.object({
  body_id: z.string(),
  name: z.string(),
  district: z.string(),
  venue: z.string(),
  owner: z.string(),
  stream_url: nullableString,
  stream_url_lan: nullableString,
  active_heads: z.number().int(),
  pinned: z.boolean(),
});
export type EligibleBody = z.output<typeof eligibleBody>;

/** `GET /heads/{id}/logs`. */
export const headLogsReply = z.object({ log_path: z.string(), lines: z.array(z.string()) });
export type HeadLogsReply = z.output<typeof headLogsReply>;

/** An experience from hydraexperiencelibrary: an object with an `id`; other fields pass through. */
export const experienceItem = z.looseObject({ id: z.string() });
export type Experience = z.output<typeof experienceItem>;
