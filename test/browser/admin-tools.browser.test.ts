import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatFake, startSlackFake } from "../../src/features/notifications/notifiers/chat.fakes.ts";
import type { Deployment } from "../../src/shared/api.ts";
import { userWithToken } from "../helpers/app.ts";
import { ADMIN_PASSWORD, type BrowserApp, browser, shot, signIn, startBrowserApp } from "./browser.ts";

const yaml = (slackUrl: string) => `project: ops
name: Ops pipelines
notifications:
  - { type: slack, name: releases, url: "${slackUrl}", events: [deployment_succeeded, freeze_override] }
environments:
  - name: staging
    gates: [ { type: tests_pass, kinds: [unit] } ]
    executor: { type: shell, config: { command: ["sh", "-c", "echo deploying $STAGEGATE_RELEASE"] } }
  - name: frozen
    requires: null
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"] } ]
      freezeWindows: [ { cron: "* * * * *", duration: 2m, timezone: Europe/Berlin, reason: "quarter close" } ]
`;

describe("admin tools and live updates in the browser", () => {
  let app: BrowserApp;
  let slack: ChatFake;
  const chrome = browser();

  beforeAll(async () => {
    slack = await startSlackFake();
    app = await startBrowserApp("sqlite");
    const applied = await app.request({
      method: "PUT",
      url: "/api/v1/projects/ops/config",
      headers: { "content-type": "application/yaml" },
      payload: yaml(slack.url),
    });
    if (applied.statusCode !== 200) throw new Error(applied.body);
    await userWithToken(app, { username: "dana", project: "ops", role: "developer" });
    for (const version of ["1.0.0", "2.0.0"]) {
      const created = await app.request({
        method: "POST",
        url: "/api/v1/projects/ops/releases",
        payload: { version, commitSha: `${version.replace(/\./g, "")}abcdef1234`, branch: "main" },
      });
      if (created.statusCode !== 201) throw new Error(created.body);
    }
  }, 120_000);

  afterAll(async () => {
    await chrome.close();
    await app?.close();
    await slack?.close();
  }, 120_000);

  it("lets an admin override a failing gate and a freeze with a reason, and shows a developer only why not", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/p/ops/releases/1.0.0`);
    const staging = page.getByRole("article", { name: "Environment staging" });
    await staging.getByText("Gate failed: tests_pass").waitFor();
    expect(await staging.getByRole("button", { name: "Deploy to staging" }).isDisabled()).toBe(true);
    await staging.getByRole("button", { name: "Override and deploy…" }).click();
    const dialog = page.getByRole("dialog", { name: "Override and deploy 1.0.0 to staging?" });
    await dialog.getByRole("note").getByText("Gate failed: tests_pass").waitFor();
    await dialog.getByLabel("Reason").fill("hotfix");
    await dialog.getByRole("button", { name: "Override and deploy to staging" }).click();
    await dialog.getByRole("alert").getByText("at least 10 characters").waitFor();
    await dialog.getByLabel("Reason").fill("Payment outage: the unit suite is red for an unrelated flaky test");
    await shot(page, "27-override-dialog");
    await dialog.getByRole("button", { name: "Override and deploy to staging" }).click();
    await staging.getByText("Live here").waitFor({ timeout: 30_000 });

    const deployments = await app.request({ method: "GET", url: "/api/v1/projects/ops/deployments?environment=staging" });
    const [deployed] = deployments.json<{ items: Deployment[] }>().items;
    const audit = await app.request({ method: "GET", url: `/api/v1/audit?subject=deployment:${deployed?.id}` });
    expect(audit.body).toContain("Payment outage");
    expect(audit.body).toContain("admin");

    const frozen = page.getByRole("article", { name: "Environment frozen" });
    await frozen.getByText(/Frozen \(quarter close\)/).waitFor();
    await frozen.getByRole("button", { name: "Override and deploy…" }).click();
    const freeze = page.getByRole("dialog", { name: "Override and deploy 1.0.0 to frozen?" });
    await freeze.getByLabel("Reason").fill("Regulator deadline today, signed off by the CFO");
    await freeze.getByRole("button", { name: "Override and deploy to frozen" }).click();
    await frozen.getByText("Awaiting approval").first().waitFor();
    await expect
      .poll(() => slack.messages.some((m) => JSON.stringify(m).includes("Freeze overridden")), { timeout: 15_000 })
      .toBe(true);
    await shot(page, "28-release-after-overrides");

    const dev = await chrome.open();
    await signIn(dev, app.url, "dana", "pw-dana-0123456789");
    await dev.goto(`${app.url}/p/ops/releases/2.0.0`);
    const devStaging = dev.getByRole("article", { name: "Environment staging" });
    await devStaging.getByText("Gate failed: tests_pass").waitFor();
    expect(await dev.getByRole("button", { name: /Override/ }).count()).toBe(0);
    // Not even through the API: overriding needs the admin role.
    const devToken = await userWithToken(app, { username: "dora", project: "ops", role: "approver" });
    const refused = await app.request({
      method: "POST",
      url: "/api/v1/projects/ops/releases/2.0.0/promote",
      headers: { authorization: `Bearer ${devToken}` },
      payload: { environment: "staging", override: { reason: "I would like to skip the gate" } },
    });
    expect(refused.statusCode).toBe(403);
  }, 120_000);

  it("updates the overview over the live stream, without polling", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/p/ops`);
    await page.getByRole("status", { name: "Live updates" }).waitFor();
    const staging = page.getByRole("listitem", { name: "Environment staging" });
    await staging.getByRole("link", { name: "1.0.0", exact: true }).waitFor();
    // While live the page polls every 30 s only: seeing 2.0.0 within 10 s means the stream brought it.
    const promoted = await app.request({
      method: "POST",
      url: "/api/v1/projects/ops/releases/2.0.0/promote",
      payload: { environment: "staging", override: { reason: "browser test of the live stream" } },
    });
    expect(promoted.statusCode, promoted.body).toBe(201);
    await staging.getByRole("link", { name: "2.0.0", exact: true }).waitFor({ timeout: 10_000 });
    await shot(page, "29-overview-live");
  }, 60_000);

  it("lists notification channels with redacted targets, sends a test, and shows recent deliveries", async () => {
    // Something to have been delivered: a deploy of its own, so this test stands alone.
    await app.request({
      method: "POST",
      url: "/api/v1/projects/ops/releases",
      payload: { version: "3.0.0", commitSha: "300abcdef1234", branch: "main" },
    });
    const promoted = await app.request({
      method: "POST",
      url: "/api/v1/projects/ops/releases/3.0.0/promote",
      payload: { environment: "staging", override: { reason: "channel list needs a delivery" } },
    });
    expect((await app.waitForDeployment(promoted.json<Deployment>().id)).status).toBe("succeeded");
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/p/ops/settings`);
    const channel = page.getByRole("listitem", { name: "Channel releases" });
    await channel.getByText("Slack", { exact: true }).waitFor();
    const host = new URL(slack.url).host;
    await channel.getByText(`http://${host}/…`).waitFor();
    expect(await channel.getByText(new URL(slack.url).pathname, { exact: false }).count()).toBe(0);
    await channel.getByText(/deployment_succeeded, freeze_override/).waitFor();
    const deliveries = channel.getByRole("table", { name: "Recent deliveries to releases" });
    await deliveries
      .getByRole("cell", { name: /deployment_succeeded/ })
      .first()
      .waitFor({ timeout: 20_000 });
    const before = slack.messages.length;
    await channel.getByRole("button", { name: "Send test to releases" }).click();
    await channel.getByRole("status").getByText("Test message accepted by releases").waitFor();
    expect(slack.messages.length).toBe(before + 1);
    slack.failNext(404, { body: "no_service" });
    await channel.getByRole("button", { name: "Send test to releases" }).click();
    await channel
      .getByRole("status")
      .getByText(/did not take the test message.*no_service/)
      .waitFor();
    await shot(page, "30-project-channels");
  }, 60_000);
});
