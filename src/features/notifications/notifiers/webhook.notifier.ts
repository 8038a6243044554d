import { hmacSha256Hex } from "../../../shared/hashing.ts";
import type { Notifier } from "../notifications.types.ts";
import { postJson } from "./http.post.ts";

export const SIGNATURE_HEADER = "X-Stagegate-Signature";

/**
 * POSTs the event itself as JSON. With a `secret`, `X-Stagegate-Signature: sha256=<HMAC-SHA256 hex of the body bytes>`
 * (the same scheme as the webhook executor); receivers compare it in constant time and may de-duplicate retries on
 * `X-Stagegate-Delivery`.
 */
export const webhookNotifier: Notifier = {
  type: "webhook",
  async send(channel, event, _rendered, options) {
    const body = JSON.stringify(event);
    const headers: Record<string, string> = { "X-Stagegate-Event": event.type };
    if (options?.deliveryId) headers["X-Stagegate-Delivery"] = options.deliveryId;
    if (channel.secret) headers[SIGNATURE_HEADER] = `sha256=${hmacSha256Hex(channel.secret, Buffer.from(body))}`;
    await postJson({ service: "Webhook", url: channel.url ?? "", body, headers }, options);
  },
};
