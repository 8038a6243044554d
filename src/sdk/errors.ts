import type { ErrorBody } from "../shared/api.ts";

/**
 * Every failure of a client call: a non-2xx answer (with the server's `code`, `message` and `details`) or, with
 * `status` 0 and code `network_error`, a server that could not be reached at all.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(init: { status: number; code: string; message: string; details?: Record<string, unknown>; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
  }

  get isNotFound(): boolean {
    return this.status === 404 || this.code.endsWith("not_found");
  }
}

/** Codes for answers that carry no `{"error": …}` body, e.g. from a proxy in front of the server. */
const FALLBACK_CODES: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  500: "internal_error",
  502: "bad_gateway",
  503: "unavailable",
  504: "gateway_timeout",
};

export async function errorFromResponse(response: Response, url: string): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  const body = parseErrorBody(text);
  if (body) {
    const { code, message, details } = body.error;
    return new ApiError({ status: response.status, code, message, ...(details ? { details } : {}) });
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError({
    status: response.status,
    code: FALLBACK_CODES[response.status] ?? `http_${response.status}`,
    message: `${response.status} ${response.statusText || "error"} from ${url}${snippet ? `: ${snippet}` : ""}`,
  });
}

export function networkError(url: string, cause: unknown): ApiError {
  const reason = describeCause(cause);
  return new ApiError({
    status: 0,
    code: "network_error",
    message: `cannot reach ${url}${reason ? ` (${reason})` : ""}: is the server running? set --server or STAGEGATE_URL`,
    cause,
  });
}

export function invalidResponse(url: string, status: number, cause: unknown): ApiError {
  return new ApiError({
    status,
    code: "invalid_response",
    message: `${url} answered ${status} with a body that is not the expected JSON; is --server pointing at a stagegate server?`,
    cause,
  });
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!isRecord(value) || !isRecord(value.error)) return undefined;
    const { code, message, details } = value.error;
    if (typeof code !== "string" || typeof message !== "string") return undefined;
    return { error: { code, message, ...(isRecord(details) ? { details } : {}) } };
  } catch {
    return undefined;
  }
}

/** fetch rejects with a bare "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND…) sits in `cause`. */
function describeCause(error: unknown): string {
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(inner instanceof Error)) return "";
  const code = "code" in inner && typeof inner.code === "string" ? inner.code : undefined;
  return code && !inner.message.includes(code) ? `${code}: ${inner.message}` : inner.message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
