import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../../../test/helpers/recording-server.ts";
import { renderNotification } from "../notification.render.ts";
import { PermanentDeliveryError } from "../notifications.types.ts";
import { type ChatFake, startTeamsFake } from "./chat.fakes.ts";
import { APPROVE_URL, notifierContract, REJECT_URL, sampleEvent } from "./notifier.contract.ts";
import { ADAPTIVE_CARD_CONTENT_TYPE, teamsNotifier } from "./teams.notifier.ts";

notifierContract("teams", async () => {
  const teams = await startTeamsFake();
  return {
    notifier: teamsNotifier,
    channel: { type: "teams", url: teams.url, events: ["approval_requested"] },
    received: () => teams.messages.length,
    lastMessage: () => JSON.stringify(teams.messages.at(-1)),
    failNextTransient: () => teams.failNext(502),
    failNextPermanent: () => teams.failNext(404, { body: '{"error":{"code":"WorkflowNotFound"}}' }),
    unreachable: async () => ({
      notifier: teamsNotifier,
      channel: { type: "teams", url: `http://127.0.0.1:${await closedPort()}/workflows/x`, events: ["rollback"] },
    }),
    teardown: () => teams.close(),
  };
});

describe("teams notifier", () => {
  let teams: ChatFake;
  const channel = () => ({ type: "teams" as const, url: teams.url, events: ["approval_requested" as const] });

  beforeAll(async () => {
    teams = await startTeamsFake();
  });
  afterAll(() => teams.close());

  it("posts one Adaptive Card with the facts as a FactSet and the links as OpenUrl actions", async () => {
    const event = sampleEvent();
    await teamsNotifier.send(channel(), event, renderNotification(event));
    const message = teams.messages.at(-1) as {
      type: string;
      attachments: { contentType: string; content: Record<string, unknown> }[];
    };
    expect(message.type).toBe("message");
    expect(message.attachments).toHaveLength(1);
    const [attachment] = message.attachments;
    expect(attachment?.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
    const card = attachment?.content as { type: string; version: string; body: Record<string, unknown>[]; actions: unknown[] };
    expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.4", msteams: { width: "Full" } });
    expect(card.body[0]).toMatchObject({ type: "TextBlock", text: "⏳ Approval needed: shop 1.4.0 → live", weight: "Bolder" });
    expect(card.body[1]).toMatchObject({
      type: "FactSet",
      facts: expect.arrayContaining([
        { title: "Release", value: "1.4.0" },
        { title: "Environment", value: "live" },
        { title: "Requested by", value: "alice" },
      ]),
    });
    expect(JSON.stringify(card.body)).toContain("212 passed · 3 failed");
    expect(card.actions).toEqual([
      { type: "Action.OpenUrl", title: "Open in stagegate", url: "https://stagegate.acme.test/shop/releases/1.4.0" },
      { type: "Action.OpenUrl", title: "Approve…", url: APPROVE_URL, style: "positive" },
      { type: "Action.OpenUrl", title: "Reject…", url: REJECT_URL, style: "destructive" },
    ]);
  });

  it("treats a workflow that refuses the payload as permanent", async () => {
    const event = sampleEvent();
    const wrong = { ...channel(), url: teams.url.replace("sig=teams-signature", "sig=wrong") };
    await expect(teamsNotifier.send(wrong, event, renderNotification(event))).rejects.toBeInstanceOf(PermanentDeliveryError);
  });
});
