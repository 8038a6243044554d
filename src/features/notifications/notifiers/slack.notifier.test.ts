import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../../../test/helpers/recording-server.ts";
import { renderNotification } from "../notification.render.ts";
import { PermanentDeliveryError, RetryableDeliveryError } from "../notifications.types.ts";
import { type ChatFake, startSlackFake } from "./chat.fakes.ts";
import { notifierContract, sampleEvent } from "./notifier.contract.ts";
import { escapeMrkdwn, SLACK_LIMITS, type SlackBlock, slackNotifier, slackPayload } from "./slack.notifier.ts";

notifierContract("slack", async () => {
  const slack = await startSlackFake();
  return {
    notifier: slackNotifier,
    channel: { type: "slack", url: slack.url, events: ["approval_requested"] },
    received: () => slack.messages.length,
    lastMessage: () => JSON.stringify(slack.messages.at(-1)),
    failNextTransient: () => slack.failNext(503, { body: "service_unavailable" }),
    failNextPermanent: () => slack.failNext(404, { body: "no_service" }),
    unreachable: async () => ({
      notifier: slackNotifier,
      channel: { type: "slack", url: `http://127.0.0.1:${await closedPort()}/services/x`, events: ["rollback"] },
    }),
    teardown: () => slack.close(),
  };
});

describe("slack notifier", () => {
  let slack: ChatFake;
  const channel = () => ({ type: "slack" as const, url: slack.url, events: ["approval_requested" as const] });
  const send = (event = sampleEvent()) => slackNotifier.send(channel(), event, renderNotification(event));

  beforeAll(async () => {
    slack = await startSlackFake();
  });
  afterAll(() => slack.close());

  it("lays out header, facts, evidence and link buttons as Block Kit", async () => {
    await send();
    const message = slack.messages.at(-1) as { text: string; blocks: SlackBlock[] };
    expect(message.text).toBe("Approval needed: shop 1.4.0 → live (requested by alice)");
    expect(message.blocks.map((block) => block.type)).toEqual(["header", "section", "section", "section", "section", "actions"]);
    expect(message.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "⏳ Approval needed: shop 1.4.0 → live", emoji: true },
    });
    const fields = (message.blocks[1] as { fields: { text: string }[] }).fields.map((field) => field.text);
    expect(fields).toEqual([
      "*Project*\nShop pipelines (shop)",
      "*Release*\n1.4.0",
      "*Commit*\n9fceb02 on main",
      "*Environment*\nlive",
      "*Requested by*\nalice",
      "*Released by*\nci-bot",
      "*Deployment*\ndeploy dep_01TEST: pending_approval",
      "*Previous release*\n1.3.2",
    ]);
    const text = (index: number) => (message.blocks[index] as { text: { text: string } }).text.text;
    expect(text(2)).toBe("*Tests*  212 passed · 3 failed · 2 skipped · 1 flaky (218 total)\n*Coverage*  84.2% of lines (+0.4)");
    expect(text(3)).toContain("• checkout › applies &lt;discount&gt; &amp; tax");
    expect(text(4)).toBe("*Quality gates*\n✅ `tests_pass` unit: all required tests passed\n❌ `coverage_min` lines 84.2% ≥ 80%");
    expect(message.blocks[5]).toEqual({
      type: "actions",
      elements: [
        expect.objectContaining({ type: "button", action_id: "view", url: "https://stagegate.acme.test/shop/releases/1.4.0" }),
        expect.objectContaining({ action_id: "approve", style: "primary", text: { type: "plain_text", text: "Approve…" } }),
        expect.objectContaining({ action_id: "reject", style: "danger", text: { type: "plain_text", text: "Reject…" } }),
      ],
    });
    // Link buttons only: nothing in the message changes state when Slack (or a link preview) follows a URL.
    for (const button of (message.blocks[5] as { elements: Record<string, unknown>[] }).elements)
      expect(button.value).toBeUndefined();
  });

  it("stays within Slack's limits for a huge event, so Slack accepts it", async () => {
    const long = "x".repeat(5000);
    const event = sampleEvent({
      project: { slug: "shop", name: long },
      actor: long,
      deployment: { id: "dep_1", status: "failed", kind: "deploy", reason: long },
      evidence: {
        tests: { total: 5000, passed: 0, failed: 5000, skipped: 0, flaky: 0 },
        failures: Array.from({ length: 500 }, (_, i) => `${i} ${long}`),
        gates: Array.from({ length: 40 }, (_, i) => ({ type: `gate_${i}`, passed: false, message: long })),
      },
    });
    const payload = slackPayload(renderNotification(event));
    expect(payload.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    await expect(send(event)).resolves.toBeUndefined();
    expect(JSON.stringify(slack.messages.at(-1))).toContain("and 4990 more");
  });

  it("is told off by the fake like by Slack when blocks break the rules", async () => {
    const response = await fetch(slack.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("invalid_blocks");
  });

  it("passes Slack's Retry-After on a 429 to the retry", async () => {
    slack.failNext(429, { body: "rate_limited", headers: { "retry-after": "30" } });
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error).toMatchObject({ httpStatus: 429, retryAfterMs: 30_000 });
  });

  it("gives up on an archived channel and says what to do, without leaking the webhook path", async () => {
    slack.failNext(410, { body: "channel_is_archived" });
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect((error as Error).message).toMatch(/HTTP 410: channel_is_archived \(the webhook is gone/);
    expect((error as Error).message).not.toContain("slack-secret");
  });

  it("escapes Slack's control characters in user text", () => {
    expect(escapeMrkdwn("<!channel> & <http://evil|x>")).toBe("&lt;!channel&gt; &amp; &lt;http://evil|x&gt;");
  });
});
