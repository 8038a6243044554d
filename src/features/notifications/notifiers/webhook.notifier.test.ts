import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, type RecordingServer, sendJson, startRecordingServer } from "../../../../test/helpers/recording-server.ts";
import { hmacSha256Hex, safeEqual } from "../../../shared/hashing.ts";
import { renderNotification } from "../notification.render.ts";
import type { NotificationEvent } from "../notifications.types.ts";
import { notifierContract, sampleEvent } from "./notifier.contract.ts";
import { webhookNotifier } from "./webhook.notifier.ts";

const SECRET = "whsec_test";

/** A receiver as its documentation would tell users to write one: verify the signature over the raw body, then accept. */
async function startReceiver(): Promise<RecordingServer & { accepted: NotificationEvent[]; failNext(status: number): void }> {
  const accepted: NotificationEvent[] = [];
  const script: number[] = [];
  const server = await startRecordingServer((request, response) => {
    const scripted = script.shift();
    if (scripted) return sendJson(response, scripted, { error: `HTTP ${scripted}` });
    const signature = String(request.headers["x-stagegate-signature"] ?? "");
    if (!safeEqual(signature, `sha256=${hmacSha256Hex(SECRET, Buffer.from(request.body))}`))
      return sendJson(response, 401, { error: "bad signature" });
    accepted.push(JSON.parse(request.body) as NotificationEvent);
    sendJson(response, 204, {});
  });
  return { ...server, accepted, failNext: (status) => script.push(status) };
}

notifierContract("webhook", async () => {
  const receiver = await startReceiver();
  return {
    notifier: webhookNotifier,
    channel: { type: "webhook", url: `${receiver.url}/hooks/stagegate`, secret: SECRET, events: ["approval_requested"] },
    received: () => receiver.accepted.length,
    lastMessage: () => JSON.stringify(receiver.accepted.at(-1)),
    failNextTransient: () => receiver.failNext(503),
    failNextPermanent: () => receiver.failNext(410),
    unreachable: async () => ({
      notifier: webhookNotifier,
      channel: { type: "webhook", url: `http://127.0.0.1:${await closedPort()}/`, events: ["rollback"] },
    }),
    teardown: () => receiver.close(),
  };
});

describe("webhook notifier", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it("posts the event as JSON, signed with the channel secret, naming the event and the delivery", async () => {
    const event = sampleEvent({ type: "deployment_failed" });
    const channel = {
      type: "webhook" as const,
      url: `${receiver.url}/in`,
      secret: SECRET,
      events: ["deployment_failed" as const],
    };
    await webhookNotifier.send(channel, event, renderNotification(event), { deliveryId: "ntf_123" });
    const request = receiver.requests.at(-1);
    expect(request?.headers["x-stagegate-event"]).toBe("deployment_failed");
    expect(request?.headers["x-stagegate-delivery"]).toBe("ntf_123");
    expect(request?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(request?.headers["x-stagegate-signature"]).toBe(`sha256=${hmacSha256Hex(SECRET, Buffer.from(request?.body ?? ""))}`);
    expect(receiver.accepted.at(-1)).toEqual(event);
  });

  it("sends no signature without a secret, which a verifying receiver refuses for good", async () => {
    const event = sampleEvent();
    const channel = { type: "webhook" as const, url: `${receiver.url}/in`, events: ["approval_requested" as const] };
    await expect(webhookNotifier.send(channel, event, renderNotification(event))).rejects.toMatchObject({
      name: "PermanentDeliveryError",
      httpStatus: 401,
    });
    expect(receiver.requests.at(-1)?.headers["x-stagegate-signature"]).toBeUndefined();
  });
});
