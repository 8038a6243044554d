import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatFake, startSlackFake } from "../../src/features/notifications/notifiers/chat.fakes.ts";
import { type SmtpFake, startSmtpFake } from "../../src/features/notifications/notifiers/smtp.fake.ts";
import type { Deployment } from "../../src/shared/api.ts";
import { forgedToken, startTestApp, type TestApp, userWithToken } from "../helpers/app.ts";

const SHA = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";

describe("the approval flow a new user tries", () => {
  let t: TestApp;
  let slack: ChatFake;
  let smtp: SmtpFake;
  const tokens: Record<string, string> = {};
  const as = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });

  beforeAll(async () => {
    slack = await startSlackFake();
    smtp = await startSmtpFake();
    t = await startTestApp("sqlite", {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(smtp.port),
      SMTP_FROM: "stagegate <sg@acme.test>",
      STAGEGATE_PUBLIC_URL: "https://sg.acme.test",
    });
    const yaml = `notifications:
  - { type: slack, url: "${slack.url}", events: [approval_requested, deployment_succeeded] }
  - { type: email, to: [manager@acme.test], events: [approval_requested] }
environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    gates: [ { type: tests_pass } ]
    executor: { type: shell, config: { command: ["sh", "-c", "echo going live $STAGEGATE_RELEASE"] } }
    approval: { groups: [ { name: managers, members: ["@approver"] } ] }
`;
    expect(
      (
        await t.request({
          method: "PUT",
          url: "/api/v1/projects/shop/config",
          payload: yaml,
          headers: { "content-type": "application/yaml" },
        })
      ).statusCode,
    ).toBe(200);
    tokens.dev = await userWithToken(t, { username: "dev", project: "shop", role: "developer" });
    tokens.manager = await userWithToken(t, { username: "manager", project: "shop", role: "approver" });
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
    await smtp.close();
  });

  it("notifies approvers with the evidence, takes one approval, deploys, and audits the chain", async () => {
    const run = (
      await t.request({
        method: "POST",
        url: "/api/v1/projects/shop/report-runs",
        payload: { commitSha: SHA, branch: "main" },
        headers: as("dev"),
      })
    ).json<{ id: string }>();
    const xml =
      '<testsuite name="s"><testcase classname="etl" name="loads"/><testcase classname="etl" name="dedups"/></testsuite>';
    await t.request({
      method: "PUT",
      url: `/api/v1/report-runs/${run.id}/files/unit.xml`,
      payload: xml,
      headers: { ...as("dev"), "content-type": "application/xml" },
    });
    await t.request({ method: "POST", url: `/api/v1/report-runs/${run.id}/complete`, headers: as("dev") });
    expect(
      (
        await t.request({
          method: "POST",
          url: "/api/v1/projects/shop/releases",
          payload: { version: "2.0.0", commitSha: SHA, branch: "main" },
          headers: as("dev"),
        })
      ).statusCode,
    ).toBe(201);
    const stg = (
      await t.request({
        method: "POST",
        url: "/api/v1/projects/shop/releases/2.0.0/promote",
        payload: { environment: "stg" },
        headers: as("dev"),
      })
    ).json<Deployment>();
    expect((await t.waitForDeployment(stg.id)).status).toBe("succeeded");
    const live = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/2.0.0/promote",
      payload: { environment: "live" },
      headers: as("dev"),
    });
    expect(live.statusCode, live.body).toBe(201);
    const d = live.json<Deployment>();
    expect(d.status).toBe("pending_approval");

    const approvalMessage = () => slack.messages.map((m) => JSON.stringify(m)).find((text) => text.includes("Approval"));
    await expect.poll(approvalMessage, { timeout: 15_000 }).toBeDefined();
    const slackText = approvalMessage() ?? "";
    expect(slackText).toContain("2.0.0");
    expect(slackText).toContain("live");
    expect(slackText).toMatch(/2 passed|passed.{0,20}2/);
    await expect.poll(() => smtp.messages.length, { timeout: 15_000 }).toBe(1);
    expect(smtp.messages[0]?.to).toEqual(["manager@acme.test"]);
    expect(smtp.messages[0]?.subject).toContain("2.0.0");
    expect(smtp.messages[0]?.text).toContain(`https://sg.acme.test/api/v1/deployments/${d.id}`);

    const inbox = (await t.request({ method: "GET", url: "/api/v1/approvals?mine=pending", headers: as("manager") })).json<{
      items: { deployment: Deployment }[];
    }>();
    expect(inbox.items.map((i) => i.deployment.id)).toEqual([d.id]);
    // The email's Approve link: opening it leads to the approval page and changes nothing; the POST after sign-in decides.
    const token =
      /https:\/\/sg\.acme\.test\/approve\/(v1\.[A-Za-z0-9_-]+\.[0-9a-f]+)/.exec(smtp.messages[0]?.text ?? "")?.[1] ?? "";
    expect(token).not.toBe("");
    const page = await t.app.http.inject({ method: "GET", url: `/approve/${token}` });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/approvals/${d.id}#link=${token}&action=approve`);
    expect((await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}` })).json<Deployment>().status).toBe(
      "pending_approval",
    );
    const tampered = await t.request({
      method: "POST",
      url: `/api/v1/approval-links/${forgedToken(token)}`,
      payload: {},
      headers: as("manager"),
    });
    expect([tampered.statusCode, tampered.json().error.message]).toEqual([400, expect.stringContaining("signature")]);
    const byDev = await t.request({ method: "POST", url: `/api/v1/approval-links/${token}`, payload: {}, headers: as("dev") });
    expect(byDev.statusCode).toBe(403);
    const decided = await t.request({
      method: "POST",
      url: `/api/v1/approval-links/${token}`,
      payload: { comment: "integration report is clean" },
      headers: as("manager"),
    });
    expect(decided.statusCode, decided.body).toBe(200);
    const replay = await t.request({
      method: "POST",
      url: `/api/v1/approval-links/${token}`,
      payload: {},
      headers: as("manager"),
    });
    expect([replay.statusCode, replay.json().error.message]).toEqual([400, expect.stringContaining("already used")]);
    expect((await t.waitForDeployment(d.id)).status).toBe("succeeded");
    // stg deployed, approval requested, live deployed.
    await expect.poll(() => slack.messages.length, { timeout: 15_000 }).toBe(3);

    // Slack has the message a moment before the outbox row is marked delivered.
    const statuses = async () =>
      (await t.request({ method: "GET", url: "/api/v1/notifications/deliveries" }))
        .json<{ items: { status: string }[] }>()
        .items.map((x) => x.status)
        .sort();
    await expect.poll(statuses, { timeout: 15_000 }).toEqual(["delivered", "delivered", "delivered", "delivered"]);
    const audit = (await t.request({ method: "GET", url: `/api/v1/audit?subject=deployment:${d.id}` })).json<{
      items: { action: string; actor: string }[];
    }>();
    expect(audit.items.map((e) => `${e.action} ${e.actor}`).reverse()).toEqual([
      "deployment.promoted dev",
      "approval.approved manager",
      "deployment.succeeded system",
    ]);
    expect((await t.request({ method: "GET", url: "/api/v1/audit/verify" })).json()).toMatchObject({ ok: true });
  }, 60_000);
});
