import {
  DEFAULT_DELIVERY_TIMEOUT_MS,
  PermanentDeliveryError,
  postJson as postOnce,
  RetryableDeliveryError,
  retryAfterMs as retryAfterHeaderMs,
} from "../../shared/delivery.ts";
import type { PostOptions } from "./commit-status.types.ts";

const BODY_SNIPPET_CHARS = 500;
/** GitHub: "Otherwise, wait for at least one minute before retrying" after a secondary rate limit without headers. */
const RATE_LIMIT_FALLBACK_MS = 60_000;

export interface ProviderRequest {
  /** "GitHub" or "GitLab", for messages. */
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * POSTs JSON and turns every outcome that is not 2xx into a classified error: `PermanentDeliveryError` when asking again
 * cannot help, `RetryableDeliveryError` (with the provider's wait hint) when it may. Never puts credentials in a message.
 */
export async function postJson(request: ProviderRequest, options: PostOptions = {}): Promise<void> {
  const target = safeTarget(request.url);
  await postOnce({
    url: request.url,
    body: JSON.stringify(request.body),
    headers: { ...request.headers, "Content-Type": "application/json" },
    describe: `POST ${target}`,
    classify: (response) => classify(response, request.provider, target),
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
  });
}

async function classify(response: Response, provider: string, target: string): Promise<Error> {
  const { status, headers } = response;
  const detail = await errorDetail(response);
  const message = `${provider} answered HTTP ${status} to POST ${target}${detail ? `: ${detail}` : ""}`;
  const hint = retryAfterMs(headers);
  // GitHub answers a rate limit with 403 or 429 (docs: "Rate limits for the REST API"); any other 403 is a refusal.
  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (headers.get("x-ratelimit-remaining") === "0" || headers.has("retry-after") || /rate limit/i.test(detail)));
  if (rateLimited)
    return new RetryableDeliveryError(message, { httpStatus: status, retryAfterMs: hint ?? RATE_LIMIT_FALLBACK_MS });
  // 409: GitLab's lock on the commit's statuses is held by another update.
  if (status === 408 || status === 409 || status === 425 || status >= 500) {
    return new RetryableDeliveryError(message, { httpStatus: status, ...(hint === undefined ? {} : { retryAfterMs: hint }) });
  }
  if (status >= 300 && status < 400) {
    const location = headers.get("location");
    return new PermanentDeliveryError(
      `${message}: redirects are not followed; set apiUrl to the final address${location ? ` (Location: ${safeTarget(location)})` : ""}`,
      { httpStatus: status },
    );
  }
  return new PermanentDeliveryError(`${message}${adviceFor(status)}`, { httpStatus: status });
}

function adviceFor(status: number): string {
  switch (status) {
    case 401:
      return " (the token is invalid or expired; set a new commitStatus.token)";
    case 403:
      return " (the token may not write commit statuses of this repository)";
    case 404:
      return " (no such repository or commit, or the token cannot see it; check commitStatus.repository)";
    default:
      return "";
  }
}

/**
 * How long the provider asks us to wait: `Retry-After`, else GitHub's primary rate limit reset (`x-ratelimit-reset`,
 * UTC epoch seconds) once `x-ratelimit-remaining` is 0.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const hinted = retryAfterHeaderMs(headers, now);
  if (hinted !== undefined) return hinted;
  const reset = headers.get("x-ratelimit-reset")?.trim();
  if (headers.get("x-ratelimit-remaining") === "0" && reset && /^\d+$/.test(reset)) {
    return Math.max(0, Number(reset) * 1000 - now);
  }
  return undefined;
}

/**
 * The useful part of an error body. GitHub: `{"message":"Validation Failed","errors":[{"field","code","message"}]}`;
 * GitLab: `{"message": …}` or, for parameter errors, `{"error": "state is missing"}`.
 */
async function errorDetail(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).slice(0, 20_000);
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown; errors?: unknown };
    const parts = [body.message, body.error].filter((part): part is string => typeof part === "string");
    if (typeof body.message === "object" && body.message !== null) parts.push(JSON.stringify(body.message));
    if (Array.isArray(body.errors)) {
      for (const item of body.errors) {
        if (typeof item === "string") parts.push(item);
        else if (typeof item === "object" && item !== null) {
          const { message, field, code } = item as { message?: unknown; field?: unknown; code?: unknown };
          parts.push(typeof message === "string" ? message : `${String(field)} ${String(code)}`);
        }
      }
    }
    if (parts.length > 0) return parts.join("; ").slice(0, BODY_SNIPPET_CHARS);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, BODY_SNIPPET_CHARS);
}

/** Origin and path only: a query string or userinfo may hold credentials. */
function safeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** `text` cut to `max` characters (code points, as GitHub and GitLab count them), ending in "…" when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
