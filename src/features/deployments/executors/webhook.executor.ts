import { type Static, Type } from "typebox";
import { causeOf } from "../../../shared/delivery.ts";
import { formatDuration } from "../../../shared/duration.ts";
import { hmacSha256Hex } from "../../../shared/hashing.ts";
import { DurationSchema, durationMs, HttpUrlSchema, isHttpUrl, NamedStringsSchema } from "./executor.schema.ts";
import {
  cancelledError,
  type ExecutionContext,
  type Executor,
  RetryableError,
  type StepOutcome,
  TerminalError,
} from "./executor.types.ts";

const DEFAULT_TIMEOUT = "30s";
const DEFAULT_CALLBACK_TIMEOUT = "1h";
const BODY_SNIPPET_CHARS = 500;

export const WebhookConfigSchema = Type.Object(
  {
    url: HttpUrlSchema({ description: "Where to POST the deployment (http or https)" }),
    secret: Type.Optional(
      Type.String({ minLength: 1, description: "Signs the body: X-Stagegate-Signature: sha256=<HMAC-SHA256 hex of the body>" }),
    ),
    headers: Type.Optional(
      NamedStringsSchema({
        name: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
        what: "HTTP header name",
        description: "Extra request headers",
      }),
    ),
    waitForCallback: Type.Optional(
      Type.Boolean({ default: false, description: "Stay running until the target POSTs the outcome to the callback URL" }),
    ),
    timeout: Type.Optional(DurationSchema({ default: DEFAULT_TIMEOUT, description: "Per request" })),
    callbackTimeout: Type.Optional(
      DurationSchema({ default: DEFAULT_CALLBACK_TIMEOUT, description: "How long to wait for the callback" }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookConfig = Static<typeof WebhookConfigSchema>;

/** The JSON body, as documented for receivers; `callback` only when the target is expected to report back. */
export function webhookPayload(ctx: ExecutionContext<WebhookConfig>) {
  return {
    event: "deployment",
    deployment: { id: ctx.deployment.id, kind: ctx.deployment.kind },
    project: ctx.project,
    environment: ctx.environment,
    release: ctx.release,
    step: ctx.step,
    ...(ctx.config.waitForCallback ? { callback: ctx.callback } : {}),
    // Where the target sends the job's logs and metrics: the deployment's run (id, ingest token, server URL).
    ...(ctx.run ? { run: ctx.run } : {}),
  };
}

export const webhookExecutor: Executor<WebhookConfig> = {
  type: "webhook",
  description:
    "POSTs the deployment as signed JSON to a URL; a 2xx means deployed, or with waitForCallback the target reports the outcome later.",
  configSchema: WebhookConfigSchema,
  safeToRetry: false,

  async start(ctx) {
    const { config } = ctx;
    if (!isHttpUrl(config.url)) throw new TerminalError(`${JSON.stringify(config.url)} is not an http(s) URL`);
    const url = new URL(config.url);
    // The log must not leak credentials that sit in the query string or userinfo.
    const target = `${url.origin}${url.pathname}`;
    const timeoutMs = durationMs(config.timeout, DEFAULT_TIMEOUT);
    const timeout = AbortSignal.timeout(timeoutMs);
    const body = JSON.stringify(webhookPayload(ctx));
    const startedAt = Date.now();
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: requestHeaders(ctx, body),
        body,
        // Following a redirect would turn the POST into a GET, or replay the signed body to another host.
        redirect: "manual",
        signal: AbortSignal.any([ctx.signal, timeout]),
      });
      ctx.log.write("system", `POST ${target} → HTTP ${response.status} in ${formatDuration(Date.now() - startedAt)}`);
      return await outcomeOf(response, ctx, target);
    } catch (error) {
      if (error instanceof RetryableError) throw error;
      if (ctx.signal.aborted) throw cancelledError(error);
      const message = timeout.aborted
        ? `POST ${target} timed out after ${formatDuration(timeoutMs)}`
        : `POST ${target} failed: ${causeOf(error)}`;
      ctx.log.write("system", message);
      throw new RetryableError(message, { cause: error });
    }
  },
};

function requestHeaders(ctx: ExecutionContext<WebhookConfig>, body: string): Headers {
  const headers = new Headers(ctx.config.headers);
  headers.set("Content-Type", "application/json");
  headers.set("User-Agent", "stagegate");
  headers.set("X-Stagegate-Deployment", ctx.deployment.id);
  if (ctx.config.secret) headers.set("X-Stagegate-Signature", `sha256=${hmacSha256Hex(ctx.config.secret, Buffer.from(body))}`);
  return headers;
}

async function outcomeOf(response: Response, ctx: ExecutionContext<WebhookConfig>, target: string): Promise<StepOutcome> {
  const { status } = response;
  if (status >= 200 && status < 300) {
    await response.body?.cancel();
    if (!ctx.config.waitForCallback) return { status: "succeeded" };
    const callbackTimeoutMs = durationMs(ctx.config.callbackTimeout, DEFAULT_CALLBACK_TIMEOUT);
    ctx.log.write("system", `waiting up to ${formatDuration(callbackTimeoutMs)} for the callback`);
    return { status: "running", callbackTimeoutMs, message: "waiting for the callback" };
  }
  const snippet = await readSnippet(response);
  const detail = snippet ? `: ${snippet}` : "";
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get("retry-after")) : undefined;
    throw new RetryableError(`HTTP ${status} from ${target}${detail}`, retryAfterMs === undefined ? undefined : { retryAfterMs });
  }
  if (status >= 300 && status < 400) {
    const location = response.headers.get("location");
    return {
      status: "failed",
      message: `HTTP ${status}: redirects are not followed; set url to the final address${location ? ` (Location: ${location})` : ""}`,
    };
  }
  return { status: "failed", message: `HTTP ${status}${detail}` };
}

/** The start of the response body, for the error message; stops reading there instead of downloading it all. */
async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < BODY_SNIPPET_CHARS) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.trim().slice(0, BODY_SNIPPET_CHARS);
}

/** `Retry-After` is either seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
