import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/shared/api.ts";
import { userWithToken } from "../helpers/app.ts";
import { testDialects } from "../helpers/db.ts";
import { type BrowserApp, browser, horizontalOverflow, shot, signIn, startBrowserApp } from "./browser.ts";
import { createRelease, junit, LCOV, PIPELINE_YAML, uploadReport } from "./fixtures.ts";

const BROKEN_SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const FIXED_SHA = "b2c3d4e5f60718293a4b5c6d7e8f901234567890";
const FIRST_SHA = "c3d4e5f60718293a4b5c6d7e8f90123456789012";
const password = (username: string) => `pw-${username}-0123456789`;

async function settled(app: BrowserApp, slug: string, environment: string): Promise<Deployment> {
  const list = await app.request({
    method: "GET",
    url: `/api/v1/projects/${slug}/deployments?environment=${environment}&limit=1`,
  });
  const [latest] = list.json<{ items: Deployment[] }>().items;
  if (!latest) throw new Error(`no deployment in ${environment}`);
  return app.waitForDeployment(latest.id, 30_000);
}

const environmentCard = (page: Page, name: string) => page.getByRole("listitem", { name: `Environment ${name}` });

// The main walk runs on SQLite, and once more on PostgreSQL when the run has one (TEST_POSTGRES_URL).
for (const dialect of testDialects())
  describe(`release flow in the browser (${dialect})`, () => {
    const tag = dialect === "sqlite" ? "" : `-${dialect}`;
    let app: BrowserApp;
    let dev: string;
    let approver: string;
    const chrome = browser();

    beforeAll(async () => {
      app = await startBrowserApp(dialect);
      const applied = await app.request({
        method: "PUT",
        url: "/api/v1/projects/shop/config",
        headers: { "content-type": "application/yaml" },
        payload: PIPELINE_YAML,
      });
      if (applied.statusCode !== 200) throw new Error(applied.body);
      dev = await userWithToken(app, { username: "dana", project: "shop", role: "developer" });
      approver = await userWithToken(app, { username: "mira", project: "shop", role: "approver" });
      await userWithToken(app, { username: "vic", project: "shop", role: "viewer" });
      // 1.0.0 went live earlier: something to roll back to.
      await createRelease(app, dev, { version: "1.0.0", commitSha: FIRST_SHA, branch: "main", notes: "First cut" });
      await uploadReport(app, dev, {
        commitSha: FIRST_SHA,
        branch: "main",
        kind: "unit",
        junit: junit([{ name: "adds items" }]),
        lcov: LCOV,
      });
      await uploadReport(app, dev, {
        commitSha: FIRST_SHA,
        branch: "main",
        kind: "integration",
        junit: junit([{ name: "orders flow" }], "e2e"),
      });
      const headers = { authorization: `Bearer ${dev}` };
      await app.request({
        method: "POST",
        url: "/api/v1/projects/shop/releases/1.0.0/promote",
        headers,
        payload: { environment: "staging" },
      });
      expect((await settled(app, "shop", "staging")).status).toBe("succeeded");
      const prod = await app.request({
        method: "POST",
        url: "/api/v1/projects/shop/releases/1.0.0/promote",
        headers,
        payload: { environment: "production" },
      });
      await app.request({
        method: "POST",
        url: `/api/v1/deployments/${prod.json<Deployment>().id}/approve`,
        headers: { authorization: `Bearer ${approver}` },
        payload: {},
      });
      expect((await settled(app, "shop", "production")).status).toBe("succeeded");
    }, 180_000);

    afterAll(async () => {
      await chrome.close();
      await app?.close();
    }, 120_000);

    it("walks report → fix → staging → approval → production → rollback", async () => {
      // A developer's CI uploads a unit report with a failure for release 1.1.0.
      await createRelease(app, dev, { version: "1.1.0", commitSha: BROKEN_SHA, branch: "main", notes: "Discount rounding" });
      const broken = await uploadReport(app, dev, {
        commitSha: BROKEN_SHA,
        branch: "main",
        kind: "unit",
        junit: junit([{ name: "adds items" }, { name: "applies 10% discount", failure: "expected 90 to equal 89.99" }]),
        lcov: LCOV,
      });

      const page = await chrome.open();
      await signIn(page, app.url, "dana", password("dana"));
      await shot(page, `02-projects${tag}`);

      // The report page shows the failure first, with its message and stack.
      await page.goto(`${app.url}/reports/${broken}`);
      const failure = page.getByRole("group").filter({ hasText: "applies 10% discount" }).first();
      await page.getByText("expected 90 to equal 89.99").first().waitFor();
      expect(await page.getByText("at Cart.total (src/cart.ts:42:11)", { exact: false }).count()).toBeGreaterThan(0);
      expect(failure).toBeDefined();
      await shot(page, `03-report-failures${tag}`);
      await page.getByRole("tab", { name: "Coverage" }).click();
      await page.getByRole("button", { name: "cart.ts" }).click();
      await page.getByText("L3–4").waitFor();
      await shot(page, `04-report-coverage${tag}`);

      // The broken release cannot go to staging, and the button says why.
      await page.goto(`${app.url}/p/shop/releases/1.1.0`);
      const stagingBroken = page.getByRole("article", { name: "Environment staging" });
      const blocked = stagingBroken.getByRole("button", { name: "Deploy to staging" });
      await stagingBroken.getByText("Gate failed: tests_pass").waitFor();
      expect(await blocked.isDisabled()).toBe(true);
      await shot(page, `05-release-blocked-by-gate${tag}`);

      // The fix: 1.1.1 with green unit tests is promoted to staging with one click (and a confirm that names it).
      await createRelease(app, dev, { version: "1.1.1", commitSha: FIXED_SHA, branch: "main", notes: "Fix discount rounding" });
      await uploadReport(app, dev, {
        commitSha: FIXED_SHA,
        branch: "main",
        kind: "unit",
        junit: junit([{ name: "adds items" }, { name: "applies 10% discount" }]),
        lcov: LCOV,
      });
      await page.goto(`${app.url}/p/shop/releases/1.1.1`);
      const staging = page.getByRole("article", { name: "Environment staging" });
      await staging.getByRole("button", { name: "Deploy to staging" }).click();
      const confirm = page.getByRole("dialog", { name: "Deploy 1.1.1 to staging?" });
      await confirm.getByText("1.0.0").waitFor(); // what runs there now
      await shot(page, `06-promote-confirm${tag}`);
      await confirm.getByRole("button", { name: "Deploy to staging" }).click();
      await staging.getByText("Live here").waitFor({ timeout: 30_000 });

      // The staging pipeline's integration tests report back; the page shows it without a reload.
      await uploadReport(app, dev, {
        commitSha: FIXED_SHA,
        branch: "main",
        kind: "integration",
        junit: junit([{ name: "orders flow" }, { name: "refunds flow" }], "e2e"),
      });
      await page
        .getByRole("table", { name: "Reports by kind" })
        .getByRole("cell", { name: "integration" })
        .waitFor({ timeout: 15_000 });
      const production = page.getByRole("article", { name: "Environment production" });
      await production.getByRole("button", { name: "Promote to production" }).click();
      await page
        .getByRole("dialog", { name: "Promote 1.1.1 to production?" })
        .getByRole("button", { name: "Promote to production" })
        .click();
      await production.getByText("Awaiting approval").first().waitFor();
      // A developer may not approve: no Approve button for them.
      expect(await production.getByRole("button", { name: "Approve" }).count()).toBe(0);
      await shot(page, `07-release-awaiting-approval${tag}`);

      // The approver opens what the notification links to, and approves and deploys in one click.
      const boss = await chrome.open();
      await signIn(boss, app.url, "mira", password("mira"));
      await boss.getByRole("link", { name: "Waiting for me: 1" }).click();
      await shot(boss, `08-approvals-inbox${tag}`);
      await boss.getByRole("link", { name: "Review 1.1.1" }).click();
      await boss.getByRole("heading", { name: /Deploy 1\.1\.1 to production/ }).waitFor();
      await boss.getByRole("table", { name: "Reports by kind" }).waitFor();
      await boss.getByRole("table", { name: "Changes since 1.0.0" }).waitFor();
      await shot(boss, `09-approval-page${tag}`);
      await boss.getByRole("button", { name: "Approve and deploy to production" }).click();
      await boss.getByRole("link", { name: "Open the deployment and its log" }).click();
      await boss.getByText("live 1.1.1").first().waitFor({ timeout: 30_000 });
      await boss.getByRole("heading", { name: /Succeeded/ }).waitFor({ timeout: 30_000 });
      await shot(boss, `10-deployment-log${tag}`);

      // The matrix shows 1.1.1 live in production.
      await boss.goto(`${app.url}/p/shop`);
      const prodCard = environmentCard(boss, "production");
      await prodCard.getByRole("link", { name: "1.1.1", exact: true }).waitFor();
      const row = boss.getByRole("row").filter({ hasText: "1.1.1" });
      expect(await row.getByRole("link", { name: "1.1.1 in production: succeeded" }).count()).toBe(1);
      await shot(boss, `11-overview-matrix${tag}`);

      // Rollback returns production to 1.0.0.
      await prodCard.getByRole("button", { name: "Roll back" }).click();
      const rollback = boss.getByRole("dialog", { name: "Roll back production?" });
      await rollback.getByText("1.1.1").waitFor();
      await shot(boss, `12-rollback-confirm${tag}`);
      await rollback.getByRole("button", { name: "Roll back production" }).click();
      // The card's version is what runs there: it changes once the rollback succeeded.
      await prodCard.getByRole("link", { name: "1.0.0", exact: true }).waitFor({ timeout: 30_000 });
      await shot(boss, `13-overview-after-rollback${tag}`);
      const current = await app.request({ method: "GET", url: "/api/v1/projects/shop/environments" });
      expect(
        current
          .json<{ items: { name: string; currentRelease: { version: string } | null }[] }>()
          .items.find((e) => e.name === "production")?.currentRelease?.version,
      ).toBe("1.0.0");
    }, 240_000);

    // The role and layout checks need one database only.
    if (dialect !== "sqlite") return;

    it("shows a viewer no action buttons", async () => {
      const page = await chrome.open();
      await signIn(page, app.url, "vic", password("vic"));
      for (const path of ["/p/shop", "/p/shop/releases/1.1.1"]) {
        await page.goto(`${app.url}${path}`);
        await page.getByRole("heading", { level: 1 }).waitFor();
        await page.getByRole("heading", { name: "Environments", exact: true }).waitFor();
        const buttons = await page
          .getByRole("button", { name: /Promote|Deploy to|Approve|Reject|Roll back|Retry|Cancel/ })
          .count();
        expect(buttons).toBe(0);
      }
      await shot(page, `14-viewer-release${tag}`);
    }, 60_000);

    it("has no horizontal scroll at 390 px, in light and dark", async () => {
      const page = await chrome.open({ width: 390, height: 844, colorScheme: "dark" });
      await signIn(page, app.url, "mira", password("mira"));
      for (const [path, name] of [
        ["/", "15-mobile-projects"],
        ["/p/shop", "16-mobile-overview"],
        ["/p/shop/releases/1.1.1", "17-mobile-release"],
        ["/p/shop/deployments", "18-mobile-runs"],
        ["/approvals", "19-mobile-approvals"],
      ] as const) {
        await page.goto(`${app.url}${path}`);
        await page.getByRole("heading", { level: 1 }).first().waitFor();
        await page.waitForLoadState("networkidle").catch(() => undefined);
        expect({ path, overflow: await horizontalOverflow(page) }).toEqual({ path, overflow: 0 });
        await shot(page, `${name}-dark`);
      }
      await page.getByRole("button", { name: "Menu" }).click();
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Shop pipelines" }).click();
      await page.getByRole("heading", { name: "Shop pipelines", level: 1 }).waitFor();
    }, 90_000);
  });
