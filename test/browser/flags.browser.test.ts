import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Flag } from "../../src/shared/flags/flags.api.ts";
import { pipelineYaml } from "../helpers/app.ts";
import { ADMIN_PASSWORD, type BrowserApp, browser, shot, signIn, startBrowserApp } from "./browser.ts";

describe("flags pages", () => {
  let app: BrowserApp;
  const chrome = browser();

  beforeAll(async () => {
    app = await startBrowserApp("sqlite");
    await app.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      headers: { "content-type": "application/yaml" },
      payload: pipelineYaml(),
    });
    const created = await app.request({
      method: "POST",
      url: "/api/v1/projects/shop/flags",
      payload: { key: "new-checkout", type: "boolean", variants: { on: true, off: false }, description: "the new checkout" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const gated = `environments:
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"], required: 1 } ]
`;
    await app.request({
      method: "PUT",
      url: "/api/v1/projects/gated/config",
      headers: { "content-type": "application/yaml" },
      payload: gated,
    });
    await app.request({
      method: "POST",
      url: "/api/v1/projects/gated/flags",
      payload: { key: "dark-mode", type: "boolean", variants: { on: true, off: false } },
    });
  }, 180_000);
  afterAll(async () => {
    await chrome.close();
    await app?.close();
  }, 120_000);

  it("lists flags per environment, turns one on after a confirm, and rolls it out from its page", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/p/shop/flags`);
    await page.getByRole("heading", { name: "Flags", level: 1 }).waitFor();
    const table = page.getByRole("table", { name: "Flags of shop" });
    await table.waitFor();
    expect(await table.getByRole("row").nth(1).textContent()).toContain("new-checkout");

    await page.getByRole("button", { name: "Turn on new-checkout in quant_stg" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("quant_stg");
    await dialog.getByLabel(/Reason/).fill("canary");
    await dialog.getByRole("button", { name: "Turn on", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "new-checkout is now on in quant_stg" }).waitFor();
    const flag = (await app.request({ method: "GET", url: "/api/v1/projects/shop/flags/new-checkout" })).json<Flag>();
    expect(flag.environments.quant_stg?.enabled).toBe(true);
    expect(flag.environments.live?.enabled).toBe(false);
    await shot(page, "flags-list");

    await table.getByRole("link", { name: "new-checkout" }).click();
    await page.getByRole("heading", { name: "new-checkout", level: 1 }).waitFor();
    await page.getByLabel("Environment", { exact: true }).selectOption("quant_stg");
    await page.getByLabel("Rollout percentage").fill("10");
    await page.getByRole("button", { name: "Roll out" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Roll out" }).click();
    await page.getByRole("status").filter({ hasText: "rolled out to 10 % in quant_stg" }).waitFor();
    const history = page.getByRole("list", { name: "Flag-set versions of quant_stg" });
    await history.getByText(/rollout: .*"weight":10/).waitFor();
    await shot(page, "flag-detail");
  }, 90_000);

  it("shows a change waiting for approval and lets another approver apply it", async () => {
    const requested = await app.request({
      method: "POST",
      url: "/api/v1/projects/gated/environments/live/flags/dark-mode/enable",
      payload: { reason: "launch" },
    });
    expect(requested.statusCode, requested.body).toBe(202);
    const id = requested.json<{ id: string }>().id;
    const password = await app.user("ann", "gated", "approver");
    const page = await chrome.open();
    await signIn(page, app.url, "ann", password);
    await page.goto(`${app.url}/p/gated/flags`);
    const pending = page.getByRole("table", { name: "Pending flag changes" });
    await pending.waitFor();
    expect(await pending.textContent()).toContain("Awaiting approval · 0 of 1");
    await shot(page, "flags-pending-approval");
    await page.getByRole("button", { name: `Approve ${id}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Approve", exact: true }).click();
    await pending.waitFor({ state: "detached" });
    const flag = (await app.request({ method: "GET", url: "/api/v1/projects/gated/flags/dark-mode" })).json<Flag>();
    expect(flag.environments.live?.enabled).toBe(true);
    await page.getByRole("table", { name: "Flags of gated" }).getByText("on", { exact: true }).waitFor();
  }, 90_000);
});
