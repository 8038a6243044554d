import { setTimeout as delay } from "node:timers/promises";
import { causeOf } from "../../../shared/delivery.ts";
import { formatDuration } from "../../../shared/duration.ts";
import { cancelledError, RetryableError, TerminalError } from "./executor.types.ts";
import { parseRetryAfter } from "./webhook.executor.ts";

/**
 * The HTTP client the remote-run executors (ADF, Databricks, GitHub, GitLab, Jenkins) share: JSON in and out, transient
 * failures (network, 408, 429, 5xx) retried in place with exponential backoff that honours `Retry-After`, and the
 * rest handed back to the caller, who knows what a 404 means for its API.
 */

export interface RetryPolicy {
  /** Tries per request, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not slept through here: the error goes to the runner, which waits that long. */
  maxInlineWaitMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxInlineWaitMs: 60_000,
  requestTimeoutMs: 30_000,
};

export interface TargetRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: string | URL;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is form data. */
  body?: unknown;
  signal: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /**
   * Marks an answer other than 408/429/5xx as transient, with how long to wait (GitHub's exhausted rate limit is a
   * 403 with `x-ratelimit-remaining: 0`).
   */
  transient?: (status: number, headers: Headers) => { retryAfterMs?: number } | undefined;
  /** Called before each transient retry, e.g. to log `HTTP 429, retrying in 2s`. */
  onRetry?: (message: string) => void;
}

export interface TargetResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** `GET https://host/path` without the query string (tokens travel there on some APIs). */
export function describeRequest(method: string, url: string | URL): string {
  const parsed = new URL(url);
  return `${method} ${parsed.origin}${parsed.pathname}`;
}

export async function requestTarget(request: TargetRequest): Promise<TargetResponse> {
  const policy = { ...DEFAULT_RETRY, ...request.retry };
  const what = describeRequest(request.method, request.url);
  for (let attempt = 1; ; attempt++) {
    if (request.signal.aborted) throw cancelledError(request.signal.reason);
    const failure = await once(request, policy, what);
    if (!("transient" in failure)) return failure;
    const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    const wait = failure.retryAfterMs ?? backoff;
    if (attempt >= policy.attempts || wait > policy.maxInlineWaitMs) {
      throw new RetryableError(
        `${failure.transient}${attempt > 1 ? ` (after ${attempt} tries)` : ""}`,
        failure.retryAfterMs === undefined ? undefined : { retryAfterMs: failure.retryAfterMs },
      );
    }
    request.onRetry?.(`${failure.transient}; retrying in ${formatDuration(wait)}`);
    try {
      await delay(wait, undefined, { signal: request.signal });
    } catch (error) {
      throw cancelledError(error);
    }
  }
}

type Attempt = TargetResponse | { transient: string; retryAfterMs?: number };

async function once(request: TargetRequest, policy: RetryPolicy, what: string): Promise<Attempt> {
  const timeout = AbortSignal.timeout(policy.requestTimeoutMs);
  const headers = new Headers(request.headers);
  headers.set("User-Agent", "stagegate");
  if (!headers.has("Accept")) headers.set("Accept", "application/json");
  let body: string | undefined;
  if (request.body instanceof URLSearchParams) {
    headers.set("Content-Type", "application/x-www-form-urlencoded");
    body = request.body.toString();
  } else if (request.body !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(request.body);
  }
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: "manual",
      signal: AbortSignal.any([request.signal, timeout]),
    });
  } catch (error) {
    if (request.signal.aborted) throw cancelledError(error);
    if (timeout.aborted) return { transient: `${what} timed out after ${formatDuration(policy.requestTimeoutMs)}` };
    return { transient: `${what} failed: ${causeOf(error)}` };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (request.signal.aborted) throw cancelledError(error);
    return { transient: `${what}: the response broke off: ${causeOf(error)}` };
  }
  const { status } = response;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    return {
      transient: `${what} → HTTP ${status}${snippet(text) ? `: ${snippet(text)}` : ""}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  const custom = request.transient?.(status, response.headers);
  if (custom) {
    return {
      transient: `${what} → HTTP ${status}${snippet(text) ? `: ${snippet(text)}` : ""}`,
      ...(custom.retryAfterMs === undefined ? {} : { retryAfterMs: custom.retryAfterMs }),
    };
  }
  return { status, headers: response.headers, text, json: parseJson(text) };
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function snippet(text: string, max = 300): string {
  return text.trim().replace(/\s+/g, " ").slice(0, max);
}

/**
 * What a non-2xx answer means when retrying cannot help: refused credentials, a pipeline or job that does not exist,
 * parameters the target rejects. `detail` is the target's own error message.
 */
export function terminalFor(response: TargetResponse, what: string, detail: string): TerminalError {
  const suffix = detail ? `: ${detail}` : "";
  switch (response.status) {
    case 401:
      return new TerminalError(`${what} → HTTP 401, the credentials were refused${suffix}; check the token or client secret`);
    case 403:
      return new TerminalError(`${what} → HTTP 403, not allowed${suffix}; grant the identity access to it`);
    case 404:
      return new TerminalError(`${what} → HTTP 404, not found${suffix}; check the names in the step's config`);
    default:
      return new TerminalError(`${what} → HTTP ${response.status}${suffix}`);
  }
}

export function isOk(response: TargetResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

/** Reads a field of an unknown JSON value without `any`. */
export function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
}

export function stringField(value: unknown, key: string): string | undefined {
  const found = field(value, key);
  if (typeof found === "string") return found;
  if (typeof found === "number") return String(found);
  return undefined;
}
