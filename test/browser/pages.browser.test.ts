import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/shared/api.ts";
import { pipelineYaml } from "../helpers/app.ts";
import { ADMIN_PASSWORD, type BrowserApp, browser, shot, signIn, startBrowserApp } from "./browser.ts";
import { BROKEN_YAML, junit, uploadReport } from "./fixtures.ts";

describe("dashboard pages", () => {
  let app: BrowserApp;
  const chrome = browser();
  const yaml = (payload: string, slug: string) =>
    app.request({
      method: "PUT",
      url: `/api/v1/projects/${slug}/config`,
      headers: { "content-type": "application/yaml" },
      payload,
    });

  beforeAll(async () => {
    app = await startBrowserApp("sqlite");
    await yaml(pipelineYaml(), "shop");
    await yaml(BROKEN_YAML, "broken");
  }, 120_000);
  afterAll(async () => {
    await chrome.close();
    await app?.close();
  }, 120_000);

  it("serves the app with history fallback and long-cached assets, keeping /api JSON", async () => {
    const deep = await fetch(`${app.url}/p/shop/releases/1.0.0`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get("content-type")).toContain("text/html");
    expect(deep.headers.get("cache-control")).toBe("no-cache");
    const html = await deep.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${app.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(js.headers.get("content-type")).toContain("javascript");
    const api = await fetch(`${app.url}/api/v1/nothing`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("route_not_found");
    expect((await fetch(`${app.url}/assets/gone-123.js`)).status).toBe(404);
    expect((await fetch(`${app.url}/assets/..%2f..%2fpackage.json`)).status).toBe(404);
  });

  it("signs in with a password, refuses a wrong one, and lists projects with environment chips", async () => {
    const page = await chrome.open();
    await page.goto(`${app.url}/p/shop`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(page.url()).toContain("/sign-in?next=%2Fp%2Fshop");
    await shot(page, "01-sign-in");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong-password-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.getByRole("alert").textContent()).toMatch(/password|invalid|incorrect/i);
    await page.getByLabel("Password").fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Back where the sign-in interrupted: the project overview.
    await page.getByRole("heading", { name: "Shop pipelines", level: 1 }).waitFor();
    await page.getByRole("link", { name: "stagegate home" }).click();
    const list = page.getByRole("list", { name: "Environments of Shop pipelines" });
    await list.waitFor();
    expect(await list.getByRole("listitem").allTextContents()).toEqual([
      expect.stringContaining("quant"),
      expect.stringContaining("quant_stg"),
      expect.stringContaining("live"),
    ]);
    await shot(page, "02a-projects-admin");
  }, 60_000);

  it("shows a failed deploy in red with its log", async () => {
    const promoted = await app.request({
      method: "POST",
      url: "/api/v1/projects/broken/releases",
      payload: { version: "2.0.0", commitSha: "abcdef1234567", branch: "main" },
    });
    expect(promoted.statusCode).toBe(201);
    const dep = (
      await app.request({
        method: "POST",
        url: "/api/v1/projects/broken/releases/2.0.0/promote",
        payload: { environment: "prod" },
      })
    ).json<Deployment>();
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/deployments/${dep.id}`);
    // Opened while it may still run: the page follows it to its end without a reload.
    await page.getByRole("heading", { name: /Failed/ }).waitFor({ timeout: 20_000 });
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.getAttribute("class")).toContain("bad");
    const log = page.getByRole("log", { name: /Log of 2\.0\.0 to prod/ });
    await log.getByText("ERROR: permission denied for schema sales", { exact: true }).waitFor();
    expect(await log.getByText("exit code 3", { exact: false }).count()).toBeGreaterThan(0);
    const color = await page.evaluate<string>("getComputedStyle(document.querySelector('h1 [data-status=failed]')).color");
    expect(color).toBe("rgb(207, 34, 46)"); // --bad in the light theme
    // Two lines mention it: the command as run, and its stderr; Enter steps to the next match.
    await page.getByLabel("Search the log").fill("permission denied");
    await page.getByText("1 of 2").waitFor();
    await page.getByLabel("Search the log").press("Enter");
    await page.getByText("2 of 2").waitFor();
    await shot(page, "20-deployment-failed");
    // The overview's environment card says so too.
    await page.goto(`${app.url}/p/broken`);
    await page
      .getByRole("listitem", { name: "Environment prod" })
      .getByText(/2\.0\.0\s+failed/)
      .waitFor();
    await shot(page, "21-overview-failed");
  }, 60_000);

  it("creates an API token shown once, and revokes it", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/settings`);
    await page.getByLabel("Token name").fill("github-actions");
    await page.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Token github-actions created" });
    const secret = await dialog.getByLabel("Token").inputValue();
    expect(secret.length).toBeGreaterThan(20);
    // Focus is in the dialog, on the secret.
    expect(await page.evaluate("document.activeElement && document.activeElement.id")).toBe("new-token");
    await shot(page, "22-token-created");
    const works = await fetch(`${app.url}/api/v1/projects`, { headers: { authorization: `Bearer ${secret}` } });
    expect(works.status).toBe(200);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await page.getByText(secret).count()).toBe(0); // never shown again
    const row = page.getByRole("row").filter({ hasText: "github-actions" });
    await row.getByRole("button", { name: "Revoke" }).click();
    await page
      .getByRole("dialog", { name: "Revoke github-actions?" })
      .getByRole("button", { name: "Revoke github-actions" })
      .click();
    await row.getByText("Revoked").waitFor();
    expect((await fetch(`${app.url}/api/v1/projects`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    await shot(page, "23-settings");
  }, 60_000);

  it("shows the audit log with a verified chain, project settings and the shortcut list", async () => {
    const page = await chrome.open({ colorScheme: "dark" });
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/audit`);
    await page.getByRole("table", { name: "Audit events" }).waitFor();
    await page.getByRole("button", { name: "Verify the chain" }).click();
    await page.getByText("Chain intact").waitFor();
    await page.getByLabel("Action").fill("deployment.promoted");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/action=deployment\.promoted/);
    const rows = page.getByRole("table", { name: "Audit events" }).getByRole("row");
    await expect.poll(() => rows.count()).toBe(2); // header + the one promote
    const background = "getComputedStyle(document.body).backgroundColor";
    expect(await page.evaluate<string>(background)).toBe("rgb(13, 17, 23)"); // --bg, dark: the system's choice
    await page.evaluate("document.documentElement.dataset.theme = 'light'");
    expect(await page.evaluate<string>(background)).toBe("rgb(246, 248, 250)"); // the user's choice wins
    await page.evaluate("delete document.documentElement.dataset.theme");
    await shot(page, "24-audit-dark");
    await page.goto(`${app.url}/p/shop/settings`);
    await page
      .getByRole("table", { name: "Environments" })
      .getByRole("cell", { name: "quant_stg", exact: true })
      .first()
      .waitFor();
    await shot(page, "25-project-settings-dark");
    await page.goto(`${app.url}/p/shop/reports`);
    await page.getByText("No reports yet").waitFor();
    await shot(page, "26-reports-empty-dark");
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await page.keyboard.press("Escape");
    await page.keyboard.press("g");
    await page.keyboard.press("a");
    await page.getByRole("heading", { name: "Waiting for me" }).waitFor();
  }, 60_000);

  it("loads a coverage tree of more than one page of files on demand", async () => {
    // 230 files: the first page (200) shows, the rest arrives with "Load more files".
    const lcov = Array.from(
      { length: 230 },
      (_, i) =>
        `TN:\nSF:src/mod${String(i).padStart(3, "0")}/file.ts\nDA:1,1\nDA:2,${i % 2}\nLF:2\nLH:${1 + (i % 2)}\nend_of_record\n`,
    ).join("");
    const run = await uploadReport(app, app.token, {
      commitSha: "c".repeat(40),
      branch: "main",
      kind: "unit",
      junit: junit([{ name: "adds items" }]),
      lcov,
    });
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/reports/${run}`);
    await page.getByRole("tab", { name: "Coverage" }).click();
    const tree = page.getByRole("list", { name: "Coverage by file" });
    await tree.getByText("mod000/").waitFor();
    await page.getByText("Showing the first 200 files").waitFor();
    expect(await tree.getByText("mod229/").count()).toBe(0);
    await page.getByRole("button", { name: "Load more files" }).click();
    await tree.getByText("mod229/").waitFor();
    expect(await page.getByRole("button", { name: "Load more files" }).count()).toBe(0);
    await shot(page, "report-coverage-tree-loaded");
  });
});
