import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedRun } from "../../src/features/runs/runs.types.ts";
import { SyntheticLog } from "../../src/features/spark/testing/synthetic-log.ts";
import { pipelineYaml } from "../helpers/app.ts";
import { fixturesDir } from "../helpers/fixtures.ts";
import {
  ADMIN_PASSWORD,
  type BrowserApp,
  browser,
  horizontalOverflow,
  SCREENSHOTS,
  shot,
  signIn,
  startBrowserApp,
} from "./browser.ts";

/** The CSV of one `query-gpu` section of the H100 capture: the lines between its banner and the next `####` rule. */
function captureSection(capture: string, name: "idle" | "load"): string {
  const lines = capture.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`# ${name} :: query-gpu`));
  const body: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (line.startsWith("####")) {
      if (body.length) break;
      continue;
    }
    if (line.trim() !== "") body.push(line);
  }
  return body.join("\n");
}

/** SyntheticLog's time origin (its events are relative to it). */
const SYNTHETIC_T0 = 1_700_000_000_000;
/** The same CSV with its sample time moved to `at` (nvidia-smi's `YYYY/MM/DD HH:MM:SS.mmm`), so it falls inside the run. */
function redated(csv: string, at: Date): string {
  const stamp = at.toISOString().replace("T", " ").replace("Z", "").replace(/-/g, "/");
  return csv.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{3}/gm, stamp);
}

const MARKUP_NAME = "<b>bold</b><img src=x onerror=window.__xss=1>";

/** The innermost elements reaching past the viewport's right edge, to say what makes a page scroll sideways. */
function widest(page: Page): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
    .slice(0, 5)
    .map((el) => el.tagName + "." + el.className + ": " + (el.textContent || "").slice(0, 40))`);
}

describe("run page in the dashboard", () => {
  let app: BrowserApp;
  let run: CreatedRun;
  const chrome = browser();

  beforeAll(async () => {
    app = await startBrowserApp("sqlite");
    const applied = await app.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      headers: { "content-type": "application/yaml" },
      payload: pipelineYaml(),
    });
    expect(applied.statusCode, applied.body).toBe(200);
    const created = await app.request({
      method: "POST",
      url: "/api/v1/projects/shop/runs",
      payload: { name: "gpu-inference", environment: "quant" },
    });
    expect(created.statusCode, created.body).toBe(201);
    run = created.json<CreatedRun>();

    // Two workers' logs through the NDJSON API with the run's own token; one error with a stack, one line with markup.
    const t0 = Date.now() - 60_000;
    const lines = [
      { ts: new Date(t0).toISOString(), level: "info", node: "worker-1", msg: "loading model shard 1 of 2" },
      { ts: new Date(t0 + 1000).toISOString(), level: "info", node: "worker-2", msg: "loading model shard 2 of 2" },
      { ts: new Date(t0 + 2000).toISOString(), level: "warn", node: "worker-1", msg: "batch 17 took 5400 ms <i>slow</i>" },
      {
        ts: new Date(t0 + 3000).toISOString(),
        level: "error",
        node: "worker-2",
        msg: "CUDA out of memory while allocating 2048 MiB on device 1",
        stack: 'Traceback (most recent call last):\n  File "infer.py", line 42, in run\nRuntimeError: CUDA out of memory',
      },
      { ts: new Date(t0 + 4000).toISOString(), level: "info", node: "worker-1", msg: "worker-1 finished its shard" },
    ];
    const logs = await app.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
      payload: `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`,
    });
    expect(logs.statusCode, logs.body).toBe(200);
    expect(logs.json()).toMatchObject({ accepted: lines.length, rejected: 0 });

    // nvidia-smi samples from the H100 capture (idle, then under load, 15 s apart as captured; moved into this run's
    // time) for worker-1, and the two-GPU CSV (no timestamp: now) for worker-2.
    const gpu = fixturesDir("gpu");
    const capture = readFileSync(join(gpu, "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt"), "utf8");
    const smi = (node: string, body: string) =>
      app.request({
        method: "POST",
        url: `/api/v1/runs/${run.id}/metrics/nvidia-smi?node=${node}`,
        headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "text/csv" },
        payload: body,
      });
    const idle = redated(captureSection(capture, "idle"), new Date(t0 + 1000));
    const load = redated(captureSection(capture, "load"), new Date(t0 + 16_000));
    const h100 = await smi("worker-1", `${idle}\n${load}\n`);
    expect(h100.statusCode, h100.body).toBe(200);
    const two = await smi("worker-2", readFileSync(join(gpu, "query.txt"), "utf8"));
    expect(two.statusCode, two.body).toBe(200);

    // The GPU OOM event log, and a tiny log whose app name is markup (it must show as text).
    const put = (name: string, body: Buffer | string) =>
      app.request({
        method: "PUT",
        url: `/api/v1/runs/${run.id}/spark/${name}`,
        headers: { "content-type": "application/octet-stream" },
        payload: body,
      });
    const oom = await put("driver", readFileSync(join(fixturesDir("spark"), "gpu_oom_eventlog.zstd")));
    expect(oom.statusCode, oom.body.slice(0, 300)).toBe(200);
    const markup = new SyntheticLog({ start: false })
      .event({ Event: "SparkListenerApplicationStart", "App Name": MARKUP_NAME, "App ID": "app-xss", Timestamp: SYNTHETIC_T0 })
      .executor("1")
      .stage(0, 0, { name: "count at <script>.scala:1" })
      .task({ stage: 0, durationMs: 500 })
      .completeStage(0, 0, { name: "count at <script>.scala:1", completed: 2_000 })
      .end(3_000);
    expect((await put("markup", markup.text())).statusCode).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await chrome.close();
    await app?.close();
  }, 120_000);

  const openRun = async (page: Page) => {
    await page.goto(`${app.url}/p/shop/runs`);
    await page.getByRole("heading", { name: "Runs", level: 1 }).waitFor();
    await page.getByRole("link", { name: "gpu-inference" }).click();
    await page.getByRole("heading", { name: /gpu-inference/, level: 1 }).waitFor();
  };

  it("lists the run, shows its nodes and top errors, and the deployments tab is named Deployments", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/p/shop`);
    const rail = page.getByRole("navigation", { name: "Main" });
    await rail.getByRole("link", { name: "Deployments", exact: true }).waitFor();
    await rail.getByRole("link", { name: "Runs", exact: true }).click();
    await page.getByRole("heading", { name: "Runs", level: 1 }).waitFor();
    await shot(page, "runs-01-list");
    await page.getByLabel("Status").selectOption("failed");
    await page.getByRole("heading", { name: "No run matches these filters" }).waitFor();
    expect(page.url()).toContain("status=failed");
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Environment").selectOption("quant");
    await page.getByRole("link", { name: "gpu-inference" }).click();
    await page.getByRole("heading", { name: /gpu-inference/, level: 1 }).waitFor();
    const nodes = page.getByRole("table", { name: /Nodes of the run/ });
    await nodes.waitFor();
    expect(await nodes.getByRole("rowheader").allTextContents()).toEqual(["worker-1", "worker-2"]);
    // The error with its stack, grouped by fingerprint (numbers normalised), expandable.
    const error = page.locator("details").filter({ hasText: "CUDA out of memory" });
    await error.locator("summary").click();
    expect(await error.locator("pre").textContent()).toContain('File "infer.py", line 42');
    // Critical Spark findings reach the run summary and the page says so.
    await page.getByRole("heading", { name: "Diagnoses" }).waitFor();
    expect(await page.getByRole("button", { name: "Open the Spark tab" }).count()).toBe(1);
    await shot(page, "runs-02-overview");
  }, 90_000);

  it("merges both nodes' logs and filters by node", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await openRun(page);
    await page.getByRole("tab", { name: "Logs" }).click();
    const log = page.getByRole("log", { name: "Merged log of every node" });
    await log.getByText("loading model shard 2 of 2").waitFor();
    const text = (await log.textContent()) ?? "";
    // Time order across nodes: worker-1's first line, then worker-2's, then worker-1's warning.
    expect(text.indexOf("shard 1 of 2")).toBeLessThan(text.indexOf("shard 2 of 2"));
    expect(text.indexOf("shard 2 of 2")).toBeLessThan(text.indexOf("batch 17"));
    expect(text).toContain("<i>slow</i>");
    expect(await log.locator("i").count()).toBe(0);
    await shot(page, "runs-03-logs");

    // Live tail: the run is running, so a record sent now shows up without a reload.
    const late = await app.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
      payload: `${JSON.stringify({ ts: new Date().toISOString(), level: "info", node: "worker-2", msg: "late record over the tail" })}\n`,
    });
    expect(late.statusCode, late.body).toBe(200);
    await log.getByText("late record over the tail").waitFor({ timeout: 15_000 });

    await page.getByRole("button", { name: "Node worker-2" }).click();
    await expect.poll(async () => (await log.textContent()) ?? "", { timeout: 10_000 }).not.toContain("shard 1 of 2");
    const filtered = (await log.textContent()) ?? "";
    expect(filtered).toContain("shard 2 of 2");
    expect(filtered).toContain("CUDA out of memory");
    expect(filtered).not.toContain("worker-1 finished");
    await shot(page, "runs-04-logs-worker-2");

    // Full-text search over the run, then back to everything.
    await page.getByRole("button", { name: "All nodes" }).click();
    await page.getByLabel("Search every record of the run").fill("finished");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await expect.poll(async () => (await log.textContent()) ?? "", { timeout: 10_000 }).not.toContain("shard 2 of 2");
    expect(await log.textContent()).toContain("worker-1 finished its shard");
  }, 90_000);

  it("charts GPU utilisation per node and GPU from the nvidia-smi samples", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await openRun(page);
    await page.getByRole("tab", { name: "Metrics" }).click();
    const chart = page.getByRole("img", { name: /GPU utilisation per node and GPU/ });
    await chart.waitFor();
    expect(await chart.locator("canvas").count()).toBeGreaterThan(0);
    await page.getByRole("img", { name: /GPU memory used/ }).waitFor();
    const table = page.getByRole("table", { name: /Metrics per node and GPU/ });
    expect(await table.textContent()).toMatch(/worker-1 GPU/);
    expect(await table.textContent()).toMatch(/worker-2 GPU/);
    // The H100 went from idle to full load: min and max of its utilisation over the run.
    const util = table.getByRole("row").filter({ hasText: "GPU utilisation" }).filter({ hasText: "worker-1" });
    expect((await util.getByRole("cell").allTextContents()).slice(2, 5)).toEqual(["0 %", expect.any(String), "100 %"]);
    await shot(page, "runs-05-metrics");
  }, 90_000);

  it("shows the Spark findings, timelines and stages, with markup from the log as text", async () => {
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await openRun(page);
    await page.getByRole("tab", { name: "Spark" }).click();
    const findings = page.getByRole("list", { name: "Spark findings" });
    await findings.waitFor();
    expect(await findings.textContent()).toMatch(/GPU/);
    expect(await findings.getByText("Critical").count()).toBeGreaterThan(0);
    expect(await findings.textContent()).toContain("What to try");
    await page.getByRole("list", { name: "Stages" }).waitFor();
    await page.getByRole("list", { name: "Executors" }).waitFor();
    await page.getByRole("table", { name: "Stages of the application" }).waitFor();
    await page.getByRole("heading", { name: "Compared with the previous run" }).waitFor();
    await shot(page, "runs-06-spark");
    // Close-ups for review: the application and findings, the timelines, the stage table.
    for (const [heading, name] of [
      ["Findings", "runs-06a-spark-findings"],
      ["Jobs and stages over time", "runs-06b-spark-timeline"],
      ["Executors over time", "runs-06c-spark-executors"],
      ["Stages", "runs-06d-spark-stages"],
    ] as const) {
      const section = page.locator("section").filter({ has: page.getByRole("heading", { name: heading, exact: true }) });
      await section.first().screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    }

    await page.getByRole("button", { name: "markup" }).click();
    const title = page.getByRole("heading", { name: /bold/, level: 2 });
    await title.waitFor();
    expect(await title.textContent()).toContain(MARKUP_NAME);
    expect(await title.locator("b, img").count()).toBe(0);
    expect(await page.evaluate("window.__xss")).toBeUndefined();
    expect(await page.getByRole("table", { name: "Stages of the application" }).textContent()).toContain(
      "count at <script>.scala:1",
    );
  }, 90_000);

  it("links the run from its deployment", async () => {
    const released = await app.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version: "3.0.0", commitSha: "abcdef0123456789", branch: "main" },
    });
    expect(released.statusCode, released.body).toBe(201);
    const promoted = await app.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/3.0.0/promote",
      payload: { environment: "quant" },
    });
    expect(promoted.statusCode, promoted.body).toBe(201);
    const id = promoted.json<{ id: string }>().id;
    await app.waitForDeployment(id);
    const page = await chrome.open();
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    await page.goto(`${app.url}/deployments/${id}`);
    await page.getByRole("link", { name: "Logs, metrics and diagnosis of this run" }).click();
    await page.getByRole("heading", { name: /deploy:quant/, level: 1 }).waitFor();
    expect(await page.getByRole("link", { name: "deployment", exact: true }).getAttribute("href")).toBe(`/deployments/${id}`);
  }, 90_000);

  it("has no horizontal scroll at 390 px on any tab", async () => {
    const page = await chrome.open({ width: 390, height: 844, colorScheme: "dark" });
    await signIn(page, app.url, "admin", ADMIN_PASSWORD);
    for (const [path, ready, name] of [
      ["/p/shop/runs", "table", "runs-07-mobile-list"],
      [`/runs/${run.id}`, "table", "runs-08-mobile-overview"],
      [`/runs/${run.id}?tab=logs`, "log", "runs-09-mobile-logs"],
      [`/runs/${run.id}?tab=metrics`, "img", "runs-10-mobile-metrics"],
      [`/runs/${run.id}?tab=spark`, "table", "runs-11-mobile-spark"],
    ] as const) {
      await page.goto(`${app.url}${path}`);
      await page.getByRole(ready).first().waitFor();
      const overflow = await horizontalOverflow(page);
      expect({ path, overflow, widest: overflow ? await widest(page) : [] }).toEqual({ path, overflow: 0, widest: [] });
      await shot(page, `${name}-dark`);
    }
  }, 120_000);
});
