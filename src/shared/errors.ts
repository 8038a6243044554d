/**
 * Domain errors know nothing of HTTP: `http/errors.ts` maps each code to a status.
 * Codes are stable, machine-readable strings; messages are for humans and say what to do.
 */
export type ErrorCode =
  | "invalid_request"
  | "invalid_config"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "project_not_found"
  | "environment_not_found"
  | "release_not_found"
  | "deployment_not_found"
  | "token_not_found"
  | "user_not_found"
  | "report_run_not_found"
  | "run_not_found"
  | "route_not_found"
  | "project_exists"
  | "user_exists"
  | "release_conflict"
  | "lifecycle_violation"
  | "environment_in_use"
  | "invalid_state"
  | "nothing_to_roll_back"
  | "idempotency_key_reuse"
  | "gate_failed"
  | "frozen"
  | "self_approval"
  | "not_an_approver"
  | "approval_expired"
  | "already_decided"
  | "invalid_report"
  | "unknown_report_format"
  | "rate_limited"
  | "payload_too_large"
  | "unsupported_media_type"
  | "internal_error";

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DomainError";
    this.code = code;
    this.details = options?.details;
  }
}

export function notFound(
  code: Extract<ErrorCode, `${string}_not_found` | "not_found">,
  message: string,
  details?: Record<string, unknown>,
): DomainError {
  return new DomainError(code, message, details === undefined ? undefined : { details });
}

export function invalid(message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError("invalid_request", message, details === undefined ? undefined : { details });
}

export function conflict(
  code: Extract<
    ErrorCode,
    | "release_conflict"
    | "lifecycle_violation"
    | "environment_in_use"
    | "invalid_state"
    | "project_exists"
    | "nothing_to_roll_back"
    | "idempotency_key_reuse"
    | "gate_failed"
    | "self_approval"
    | "not_an_approver"
    | "approval_expired"
    | "already_decided"
    | "invalid_report"
    | "unknown_report_format"
  >,
  message: string,
  details?: Record<string, unknown>,
): DomainError {
  return new DomainError(code, message, details === undefined ? undefined : { details });
}

export function assertNever(value: never, what = "value"): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

/** The message of anything thrown, for a log line or a stored reason. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
