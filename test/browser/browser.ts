import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { DialectName } from "../../src/db/connect.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SCREENSHOTS = join(ROOT, "test-output", "screenshots");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ADMIN_PASSWORD = "admin-password-0123";

/** Builds web/dist when its sources changed since the last build (a no-op otherwise). */
export function ensureWebBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, "web", "build-if-stale.mjs")], { stdio: "inherit", cwd: ROOT });
}

export interface BrowserApp extends TestApp {
  url: string;
  /** Creates a user with a role in a project (via the API as admin) and returns their password. */
  user(username: string, project: string, role: string): Promise<string>;
}

/** The real server (HTTP + jobs) on a fresh database, listening on a free port, with an `admin` user. */
export async function startBrowserApp(dialect: DialectName): Promise<BrowserApp> {
  ensureWebBuilt();
  const t = await startTestApp(dialect);
  await t.app.services.users.bootstrapAdmin(ADMIN_PASSWORD);
  const url = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  return {
    ...t,
    url,
    async user(username, project, role) {
      const password = `pw-${username}-0123456789`;
      const created = await t.request({ method: "POST", url: "/api/v1/users", payload: { username, password } });
      if (created.statusCode !== 201) throw new Error(`create ${username}: ${created.body}`);
      const member = await t.request({ method: "PUT", url: `/api/v1/projects/${project}/members`, payload: { username, role } });
      if (member.statusCode >= 300) throw new Error(`member ${username}: ${member.body}`);
      return password;
    },
    async close() {
      // A page may still hold a log stream (`?follow=1`) open: drop connections rather than wait for them.
      t.app.http.server.closeAllConnections();
      await t.close();
    },
  };
}

export interface Browser {
  /** A signed-out browser window (its own profile, so its own cookies). */
  open(options?: { width?: number; height?: number; colorScheme?: "light" | "dark" }): Promise<Page>;
  close(): Promise<void>;
}

/** Debian's Chromium through playwright-core; every window gets a fresh --user-data-dir. */
export function browser(): Browser {
  const contexts: { context: BrowserContext; dir: string }[] = [];
  return {
    async open(options = {}) {
      const dir = mkdtempSync(join(tmpdir(), "sg-chromium-"));
      const context = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
        colorScheme: options.colorScheme ?? "light",
      });
      contexts.push({ context, dir });
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(15_000);
      return page;
    },
    async close() {
      // All windows at once, each given at most 20 s: on a loaded machine one slow Chromium must not hold the suite.
      await Promise.all(
        contexts.splice(0).map(async ({ context, dir }) => {
          await Promise.race([context.close().catch(() => undefined), delay(20_000)]);
          rmSync(dir, { recursive: true, force: true });
        }),
      );
    },
  };
}

export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: /Waiting for me/ }).waitFor();
}

/** Saves a full-page screenshot a reviewer can look at: test-output/screenshots/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // From the top, so the sticky top bar sits where it belongs in a full-page capture.
  await page.evaluate("window.scrollTo(0, 0)");
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Page width overflow in CSS pixels (0: no horizontal scroll). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
}
