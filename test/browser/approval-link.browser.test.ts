import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatFake, startSlackFake } from "../../src/features/notifications/notifiers/chat.fakes.ts";
import type { Deployment } from "../../src/shared/api.ts";
import { userWithToken } from "../helpers/app.ts";
import { testDialects } from "../helpers/db.ts";
import { type BrowserApp, browser, shot, startBrowserApp } from "./browser.ts";
import { createRelease } from "./fixtures.ts";

const yaml = (slackUrl: string) => `project: shop
name: Shop pipelines
notifications:
  - { type: slack, url: "${slackUrl}", events: [approval_requested] }
environments:
  - name: production
    executor: { type: shell, config: { command: ["sh", "-c", "echo live $STAGEGATE_RELEASE; echo ok"] } }
    approval: { groups: [ { name: managers, members: ["@approver"] } ], expiresAfter: 1h }
`;

for (const dialect of testDialects())
  describe(`the Slack approval link in the browser (${dialect})`, () => {
    const tag = dialect === "sqlite" ? "" : `-${dialect}`;
    let app: BrowserApp;
    let slack: ChatFake;
    let dev: string;
    let approver: string;
    const chrome = browser();

    beforeAll(async () => {
      slack = await startSlackFake();
      app = await startBrowserApp(dialect);
      const applied = await app.request({
        method: "PUT",
        url: "/api/v1/projects/shop/config",
        headers: { "content-type": "application/yaml" },
        payload: yaml(slack.url),
      });
      if (applied.statusCode !== 200) throw new Error(applied.body);
      dev = await userWithToken(app, { username: "dana", project: "shop", role: "developer" });
      approver = await userWithToken(app, { username: "mira", project: "shop", role: "approver" });
    }, 120_000);

    afterAll(async () => {
      await chrome.close();
      await app?.close();
      await slack?.close();
    }, 120_000);

    it("opens the approval page from the link Slack got, signs in, and approves and deploys there", async () => {
      await createRelease(app, dev, { version: "2.0.0", commitSha: "d4e5f60718293a4b5c6d7e8f9012345678901234", branch: "main" });
      const promoted = await app.request({
        method: "POST",
        url: "/api/v1/projects/shop/releases/2.0.0/promote",
        headers: { authorization: `Bearer ${dev}` },
        payload: { environment: "production" },
      });
      const d = promoted.json<Deployment>();
      expect(d.status).toBe("pending_approval");
      const message = () => slack.messages.map((m) => JSON.stringify(m)).find((text) => text.includes("2.0.0"));
      await expect.poll(message, { timeout: 15_000 }).toBeDefined();
      const approveUrl = /"(https?:\/\/[^"]+\/approve\/v1\.[^"]+)"/.exec(message() ?? "")?.[1] ?? "";
      expect(approveUrl).not.toBe("");
      // The message carries the configured public URL; this server listens on a free port of its own.
      const link = new URL(approveUrl);
      const token = link.pathname.split("/").pop() ?? "";

      const page = await chrome.open();
      await page.goto(`${app.url}${link.pathname}`);
      // Signed out: the dashboard asks for a sign-in first and comes back to the approval afterwards.
      await page.getByLabel("Username").fill("mira");
      expect(new URL(page.url()).pathname).toBe("/sign-in");
      await page.getByLabel("Password").fill("pw-mira-0123456789");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: /Deploy 2\.0\.0 to production/ }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/approvals/${d.id}`);
      await page.getByText("Opened from the notification's Approve link").waitFor();
      await shot(page, `20-approval-from-slack-link${tag}`);
      await page.getByRole("button", { name: "Approve and deploy to production" }).click();
      await page.getByRole("link", { name: "Open the deployment and its log" }).click();
      await page.getByRole("heading", { name: /Succeeded/ }).waitFor({ timeout: 30_000 });
      expect((await app.waitForDeployment(d.id)).status).toBe("succeeded");

      // The decision went through the link: it is spent, and the audit names the approver.
      const replay = await app.request({
        method: "POST",
        url: `/api/v1/approval-links/${token}`,
        headers: { authorization: `Bearer ${approver}` },
        payload: {},
      });
      expect([replay.statusCode, replay.json().error.message]).toEqual([400, expect.stringContaining("already used")]);
      const audit = await app.request({ method: "GET", url: `/api/v1/audit?subject=deployment:${d.id}` });
      expect(audit.json<{ items: { action: string; actor: string }[] }>().items.map((e) => `${e.action} ${e.actor}`)).toContain(
        "approval.approved mira",
      );
      // Opening the spent link again shows the decided approval, not a second chance.
      await page.goto(`${app.url}${link.pathname}`);
      await page.getByRole("link", { name: "Open the deployment and its log" }).waitFor();
      expect(await page.getByRole("button", { name: /Approve and deploy/ }).count()).toBe(0);
    }, 120_000);
  });
