/**
 * One error taxonomy. Domain replies carry `{ ok: false, code, message }`; this table maps codes to
 * HTTP statuses; the HTTP layer's onError turns an AppError into `{"error","message"}` and anything
 * else into a logged 500 without a stack in the body.
 */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  unknown_role: 400,
  invalid_config: 400,
  unauthorized: 401,
  forbidden: 403,
  /** A session-cookie change or upgrade not from public_url's origin (docs/architecture.md#web-pages). */
  cross_origin: 403,
  not_found: 404,
  wrong_kind: 409,
  wrong_state: 409,
  already_finished: 409,
  /** docs/api.md#exec: the node (an iPad) runs no command. */
  no_exec_channel: 409,
  payload_too_large: 413,
  range_not_satisfiable: 416,
  unsupported_media_type: 415,
  queue_full: 429,
  too_many_batches: 429,
  too_many_sessions: 429,
  too_many_pending_heads: 429,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  actor_timeout: 503,
  persist_failed: 503,
  shutting_down: 503,
  experience_library_not_configured: 503,
  gateway_timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export type Fail = { ok: false; code: ErrorCode; message: string };
export type Ok<T> = { ok: true; value: T };
export type Result<T> = Ok<T> | Fail;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string): Fail => ({ ok: false, code, message });

/** Unwraps a domain reply: the value, or the AppError its code stands for. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new AppError(r.code, r.message);
}
