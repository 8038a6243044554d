import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Deployment } from "../../shared/api.ts";
import { type ChatFake, startSlackFake } from "./notifiers/chat.fakes.ts";
import { type SmtpFake, startSmtpFake } from "./notifiers/smtp.fake.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe.each(testDialects())("deployment_started and gate_failed notifications on %s", (dialect) => {
  let t: TestApp;
  let slack: ChatFake;
  let smtp: SmtpFake;
  const slackTexts = () => slack.messages.map((m) => String(m.text));

  beforeAll(async () => {
    slack = await startSlackFake();
    smtp = await startSmtpFake();
    t = await startTestApp(dialect, {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(smtp.port),
      SMTP_FROM: "stagegate <sg@acme.test>",
      STAGEGATE_PUBLIC_URL: "https://sg.acme.test",
    });
    const yaml = `notifications:
  - { type: slack, url: "${slack.url}", events: [deployment_started, gate_failed] }
  - { type: email, to: [lead@acme.test], events: [gate_failed] }
environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    gates: [ { type: tests_pass } ]
    executor: { type: shell, config: { command: ["true"] } }
`;
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    const release = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version: "1.0.0", commitSha: SHA, branch: "main" },
    });
    expect(release.statusCode, release.body).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await slack?.close();
    await smtp?.close();
  });

  it("announces a deployment when it starts running, once", async () => {
    const promoted = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/1.0.0/promote",
      payload: { environment: "stg" },
    });
    expect(promoted.statusCode, promoted.body).toBe(201);
    const d = await t.waitForDeployment(promoted.json<Deployment>().id);
    expect(d.status).toBe("succeeded");
    await expect.poll(slackTexts, { timeout: 15_000 }).toContainEqual(expect.stringContaining("Deploying: shop 1.0.0 → stg"));
    expect(slackTexts().filter((text) => text.includes("Deploying"))).toHaveLength(1);
  });

  it("tells Slack and email when gates refuse a promotion, with the failing gate", async () => {
    const refused = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/1.0.0/promote",
      payload: { environment: "live" },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe("gate_failed");

    await expect
      .poll(slackTexts, { timeout: 15_000 })
      .toContainEqual(expect.stringContaining("Quality gates failed: shop 1.0.0 → live"));
    const message = JSON.stringify(slack.messages.find((m) => String(m.text).includes("Quality gates failed")));
    expect(message).toContain("tests_pass");
    expect(message).toContain("https://sg.acme.test/api/v1/projects/shop/releases/1.0.0");

    await expect.poll(() => smtp.messages.length, { timeout: 15_000 }).toBe(1);
    expect(smtp.messages[0]?.to).toEqual(["lead@acme.test"]);
    expect(smtp.messages[0]?.subject).toContain("Quality gates failed");
    expect(smtp.messages[0]?.text).toContain("tests_pass");

    // Marked delivered just after the fakes answered.
    const gateDeliveries = async () => {
      const res = await t.request({ method: "GET", url: "/api/v1/notifications/deliveries?limit=50" });
      const items = res.json<{ items: { event: string; status: string }[] }>().items;
      return items.filter((i) => i.event === "gate_failed").map((i) => i.status);
    };
    await expect.poll(gateDeliveries, { timeout: 10_000 }).toEqual(["delivered", "delivered"]);
  });
});
