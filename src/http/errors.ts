import type { FastifyError, FastifyInstance } from "fastify";
import { DomainError, type ErrorCode } from "../shared/errors.ts";

/** The one table from domain error code to HTTP status. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_config: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  project_not_found: 404,
  environment_not_found: 404,
  release_not_found: 404,
  deployment_not_found: 404,
  token_not_found: 404,
  user_not_found: 404,
  report_run_not_found: 404,
  run_not_found: 404,
  route_not_found: 404,
  project_exists: 409,
  user_exists: 409,
  release_conflict: 409,
  lifecycle_violation: 409,
  environment_in_use: 409,
  invalid_state: 409,
  nothing_to_roll_back: 409,
  idempotency_key_reuse: 422,
  gate_failed: 409,
  frozen: 409,
  self_approval: 403,
  not_an_approver: 403,
  approval_expired: 409,
  already_decided: 409,
  invalid_report: 422,
  unknown_report_format: 422,
  rate_limited: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
};

interface ErrorPayload {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

function payload(code: string, message: string, details?: Record<string, unknown>): ErrorPayload {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Names the field, e.g. `body.commitSha: must match pattern …` or `body: must have required property 'version'`. */
function describeValidation(error: FastifyError): { message: string; details: Record<string, unknown> } {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const where = error.validationContext ?? "body";
  const fields = issues.map((issue) => {
    const missing = issue.params?.requiredProperty ?? issue.params?.missingProperty;
    const extra = issue.params?.additionalProperty;
    const path = `${issue.instancePath ?? ""}${missing ? `/${String(missing)}` : ""}${extra ? `/${String(extra)}` : ""}`;
    const field = `${where}${path.replaceAll("/", ".")}`;
    const message = extra ? "is not a known field" : missing ? "is required" : (issue.message ?? "is invalid");
    return { field, message };
  });
  const first = fields[0];
  return {
    message: first ? `${first.field} ${first.message}` : error.message,
    details: { fields },
  };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(payload("route_not_found", `No route ${request.method} ${request.url.split("?")[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      reply.code(STATUS_BY_CODE[error.code]).send(payload(error.code, error.message, error.details));
      return;
    }
    if (error.validation) {
      const { message, details } = describeValidation(error);
      reply.code(400).send(payload("invalid_request", message, details));
      return;
    }
    switch (error.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        reply
          .code(413)
          .send(payload("payload_too_large", `Request body is larger than the limit of ${app.initialConfig.bodyLimit} bytes`));
        return;
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        reply
          .code(415)
          .send(
            payload("unsupported_media_type", `Content-Type ${request.headers["content-type"] ?? "(none)"} is not accepted here`),
          );
        return;
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        reply.code(400).send(payload("invalid_request", `Body is not valid JSON: ${error.message}`));
        return;
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      reply.code(error.statusCode).send(payload("invalid_request", error.message));
      return;
    }
    request.log.error({ err: error }, "unhandled error");
    reply.code(500).send(payload("internal_error", "Something went wrong on the server; the error is in the server log"));
  });
}
