import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { ChannelView, TestSendResult } from "./channels.service.ts";
import { type ChatFake, startSlackFake } from "./notifiers/chat.fakes.ts";

describe.each(testDialects())("notification channels in settings on %s", (dialect) => {
  let t: TestApp;
  let slack: ChatFake;
  const tokens: Record<string, string> = {};
  const as = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });

  beforeAll(async () => {
    slack = await startSlackFake();
    t = await startTestApp(dialect);
    const yaml = `notifications:
  - { type: slack, name: releases, url: "${slack.url}", events: [deployment_succeeded, approval_requested] }
  - { type: email, to: [manager@acme.test, "\${env:ONCALL_EMAIL}"], events: [approval_requested] }
  - { type: webhook, url: "\${env:AUDIT_HOOK}", events: [deployment_failed] }
environments:
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
`;
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    tokens.dev = await userWithToken(t, { username: "dev", project: "shop", role: "developer" });
    tokens.owner = await userWithToken(t, { username: "owner", project: "shop", role: "admin" });
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  const channels = async () => {
    const res = await t.request({ method: "GET", url: "/api/v1/projects/shop/notification-channels", headers: as("owner") });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: ChannelView[] }>().items;
  };

  it("lists channels with their addresses redacted, and their latest deliveries", async () => {
    const release = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version: "1.0.0", commitSha: "abcdef1234567", branch: "main" },
    });
    expect(release.statusCode).toBe(201);
    const promoted = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/1.0.0/promote",
      payload: { environment: "live" },
    });
    await t.waitForDeployment(promoted.json<{ id: string }>().id);
    await expect.poll(async () => (await channels())[0]?.recent[0]?.status, { timeout: 15_000 }).toBe("delivered");
    const items = await channels();
    const slackPath = new URL(slack.url).pathname;
    expect(items.map((c) => [c.key, c.type, c.target, c.events])).toEqual([
      [
        "releases",
        "slack",
        `${new URL(slack.url).protocol}//${new URL(slack.url).host}/…`,
        ["deployment_succeeded", "approval_requested"],
      ],
      ["email#1", "email", "m…@acme.test, ${env:ONCALL_EMAIL}", ["approval_requested"]],
      ["webhook#1", "webhook", "${env:AUDIT_HOOK}", ["deployment_failed"]],
    ]);
    expect(JSON.stringify(items)).not.toContain(slackPath);
    expect(items[0]?.recent.map((d) => [d.event, d.release])).toEqual([["deployment_succeeded", "1.0.0"]]);
    expect(items[1]?.recent).toEqual([]);
  });

  it("sends a test message now and reports the channel's answer", async () => {
    const before = slack.messages.length;
    const sent = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/notification-channels/releases/test",
      headers: as("owner"),
    });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json<TestSendResult>()).toMatchObject({ channel: "releases", ok: true, error: null });
    expect(slack.messages.length).toBe(before + 1);
    expect(JSON.stringify(slack.messages.at(-1))).toContain("Test message (nothing was deployed)");
    expect(JSON.stringify(slack.messages.at(-1))).toContain("owner");

    slack.failNext(404, { body: "no_service" });
    const dead = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/notification-channels/releases/test",
      headers: as("owner"),
    });
    expect(dead.json<TestSendResult>()).toMatchObject({ ok: false, error: expect.stringContaining("no_service") });
    // An unset ${env:…} is a configuration problem the test shows too.
    const unset = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/notification-channels/webhook%231/test",
      headers: as("owner"),
    });
    expect(unset.json<TestSendResult>()).toMatchObject({ ok: false, error: expect.stringContaining("AUDIT_HOOK") });
    // A test send is not a delivery of the outbox.
    expect((await channels())[0]?.recent.every((d) => d.event !== "channel_test")).toBe(true);
  });

  it("refuses non-admins and unknown channels", async () => {
    const list = await t.request({ method: "GET", url: "/api/v1/projects/shop/notification-channels", headers: as("dev") });
    expect(list.statusCode).toBe(403);
    const send = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/notification-channels/releases/test",
      headers: as("dev"),
    });
    expect(send.statusCode).toBe(403);
    const unknown = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/notification-channels/nope/test",
      headers: as("owner"),
    });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, "not_found"]);
  });
});
