/**
 * Delivering one message to a service across the internet (a commit status, a chat notification): how a failure is
 * classified, how long to wait before the next attempt, and one POST with a timeout. Callers word their own messages.
 */

import { errorMessage } from "./errors.ts";

export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

/** A refusal that retrying cannot fix: bad credentials, no such target, a payload the service rejects. */
export class PermanentDeliveryError extends Error {
  override readonly name = "PermanentDeliveryError";
  readonly httpStatus: number | undefined;

  constructor(message: string, options?: { httpStatus?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.httpStatus = options?.httpStatus;
  }
}

/** A failure that may pass later (rate limit, outage, network); `retryAfterMs` is the service's own hint. */
export class RetryableDeliveryError extends Error {
  override readonly name = "RetryableDeliveryError";
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { httpStatus?: number; retryAfterMs?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.httpStatus = options?.httpStatus;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export interface DeliveryPolicy {
  /** Attempts per delivery before giving up, counting the first. */
  maxAttempts: number;
  /** Wait after the first failure; doubles after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A service may ask for an hour (GitHub's rate limit reset); longer hints are capped here. */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

/** 15s, 30s, 1m, 2m, 4m, 8m, 15m between the eight attempts: about half an hour of outage is ridden out. */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 15_000,
  maxDelayMs: 15 * 60_000,
  maxRetryAfterMs: 60 * 60_000,
  timeoutMs: DEFAULT_DELIVERY_TIMEOUT_MS,
};

/** Exponential backoff after failed attempt `attempt` (1-based), never sooner than the service asked. */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
): number {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(backoff, Math.min(retryAfterMs ?? 0, policy.maxRetryAfterMs));
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const text = headers.get("retry-after")?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface JsonPost {
  url: string;
  /** The JSON text, sent as is. */
  body: string;
  /** Must include Content-Type; User-Agent is set here. */
  headers: Record<string, string>;
  /** Starts the message of a transport failure, e.g. "POST https://api.github.com/repos/o/r/statuses/…"; no credentials. */
  describe: string;
  /** Turns an answer that is not 2xx into a `PermanentDeliveryError` or `RetryableDeliveryError`. */
  classify: (response: Response) => Promise<Error>;
  /** Aborts the request (the job lost its lease or the runner stops); rethrown as is. */
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/**
 * POSTs once and resolves on 2xx. A timeout or network failure becomes a `RetryableDeliveryError`; any other answer is
 * thrown as `classify` words it.
 */
export async function postJson(request: JsonPost): Promise<void> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: "POST",
      headers: { ...request.headers, "User-Agent": "stagegate" },
      body: request.body,
      // A redirected POST may turn into a GET, or carry the body and its credentials to another host.
      redirect: "manual",
      signal,
    });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    const why = timeout.aborted ? `timed out after ${request.timeoutMs}ms` : `failed: ${causeOf(error)}`;
    throw new RetryableDeliveryError(`${request.describe} ${why}`, { cause: error });
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  throw await request.classify(response);
}

/** fetch reports every network failure as "fetch failed"; the useful part (ECONNREFUSED, a TLS error) is the cause. */
export function causeOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return errorMessage(error);
}
