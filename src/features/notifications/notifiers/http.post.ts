import {
  DEFAULT_DELIVERY_TIMEOUT_MS,
  PermanentDeliveryError,
  postJson as postOnce,
  RetryableDeliveryError,
  retryAfterMs,
} from "../../../shared/delivery.ts";
import type { SendOptions } from "../notifications.types.ts";

const BODY_SNIPPET_CHARS = 300;

export interface JsonPost {
  /** "Slack", "Teams", "Webhook": for messages. */
  service: string;
  url: string;
  body: string;
  headers?: Record<string, string>;
}

/**
 * POSTs a JSON body and turns every answer that is not 2xx into a classified error. Messages name the host only: the
 * path of a Slack webhook and the query of a Teams workflow URL are the credentials.
 */
export async function postJson(request: JsonPost, options: SendOptions = {}): Promise<void> {
  const target = hostOf(request.url);
  if (target === null) throw new PermanentDeliveryError(`${request.service} url is not an http(s) URL; check the channel's url`);
  await postOnce({
    url: request.url,
    body: request.body,
    headers: { ...request.headers, "Content-Type": "application/json; charset=utf-8" },
    describe: `POST to ${request.service} at ${target}`,
    classify: (response) => classify(response, request.service, target),
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
  });
}

async function classify(response: Response, service: string, target: string): Promise<Error> {
  const { status } = response;
  const detail = (await response.text().catch(() => "")).trim().slice(0, BODY_SNIPPET_CHARS);
  const message = `${service} at ${target} answered HTTP ${status}${detail ? `: ${detail}` : ""}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const hint = retryAfterMs(response.headers);
    return new RetryableDeliveryError(message, { httpStatus: status, ...(hint === undefined ? {} : { retryAfterMs: hint }) });
  }
  if (status >= 300 && status < 400)
    return new PermanentDeliveryError(`${message} (redirects are not followed; set the channel's url to the final address)`, {
      httpStatus: status,
    });
  return new PermanentDeliveryError(`${message}${adviceFor(service, status, detail)}`, { httpStatus: status });
}

/** What to do about the refusals a webhook URL commonly meets (Slack names them in the body: `no_service`, …). */
function adviceFor(service: string, status: number, detail: string): string {
  if (status === 404 || status === 410 || /no_service|channel_not_found|channel_is_archived|no_active_hooks/.test(detail))
    return ` (the webhook is gone or its channel archived; create a new one and update the channel's url)`;
  if (status === 401 || status === 403) return ` (${service} refuses this URL; check the channel's url and its permissions)`;
  return "";
}

/** Scheme and host only, or null for a URL that is not http(s). */
export function hostOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.host : null;
  } catch {
    return null;
  }
}
