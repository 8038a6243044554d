import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { type RecordingServer, startRecordingServer } from "../../../test/helpers/recording-server.ts";
import type { RunSummary } from "../../shared/runs.api.ts";
import type { Alert } from "./alerts.types.ts";
import type { CreatedRun, LogRecord } from "./runs.types.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** A worker process exporting its logs with the official OTLP protobuf exporter (plain ESM, no test framework). */
const OTLP_WORKER = `
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, BatchLogRecordProcessor } from "@opentelemetry/sdk-logs";
const [url, token, runId, node] = process.argv.slice(1);
const exporter = new OTLPLogExporter({ url, headers: { Authorization: "Bearer " + token } });
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ "host.name": node, "stagegate.run.id": runId }),
  processors: [new BatchLogRecordProcessor({ exporter })],
});
const logger = provider.getLogger("worker");
for (let i = 0; i < 50; i++) logger.emit({ severityNumber: 9, severityText: "INFO", body: node + " step " + i });
logger.emit({ severityNumber: 17, severityText: "ERROR", body: "NCCL watchdog timeout after 1800000 ms on rank " + node.slice(-1) });
await provider.shutdown();
`;

/** A worker process writing NDJSON, like a Python job with the handler from docs/logging.md. */
const NDJSON_WORKER = `
const [url, token, node] = process.argv.slice(1);
const lines = [];
for (let i = 0; i < 50; i++) lines.push(JSON.stringify({ ts: new Date().toISOString(), level: "info", msg: node + " step " + i, node }));
lines.push(JSON.stringify({ level: "error", msg: "NCCL watchdog timeout after 1800000 ms on rank " + node.slice(-1), node, stack: "Traceback (most recent call last):\\n  File train.py" }));
const res = await fetch(url, { method: "POST", headers: { authorization: "Bearer " + token, "content-type": "application/x-ndjson" }, body: lines.join("\\n") });
if (!res.ok) { console.error(await res.text()); process.exit(1); }
`;

const yaml = (slackUrl: string) => `notifications:
  - { type: slack, url: "${slackUrl}", events: [alert_firing] }
environments:
  - name: quant_stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    gates: [ { type: run_healthy, environment: quant_stg } ]
    executor: { type: shell, config: { command: ["true"] } }
alerts:
  - { name: gpus-idle, metric: gpu.utilization, op: "<", threshold: 20, window: 1m, severity: critical, environments: [quant_stg] }
  - { name: too-many-errors, type: error_rate, threshold: 1000, window: 10m }
`;

describe.each(testDialects())("a run on 8 workers, as a new user tries it, on %s", (dialect) => {
  let t: TestApp;
  let base: string;
  let slack: RecordingServer;
  const createRun = async (version: string) => {
    const res = await t.request({
      method: "POST",
      url: "/api/v1/projects/ml/runs",
      payload: { name: "train", environment: "quant_stg", releaseVersion: version },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedRun>();
  };
  const release = async (version: string, sha: string) => {
    const res = await t.request({
      method: "POST",
      url: "/api/v1/projects/ml/releases",
      payload: { version, commitSha: sha, branch: "main" },
    });
    expect(res.statusCode, res.body).toBe(201);
    const promoted = await t.request({
      method: "POST",
      url: `/api/v1/projects/ml/releases/${version}/promote`,
      payload: { environment: "quant_stg" },
    });
    expect((await t.waitForDeployment(promoted.json<{ id: string }>().id)).status).toBe("succeeded");
  };
  /** nvidia-smi -l 5 for 2 minutes: GPU 0 at `gpu0` %, GPU 1 busy. */
  const gpuSamples = (run: CreatedRun, node: string, gpu0: number) => {
    const rows = ["index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]"];
    for (let i = 0; i < 25; i++) rows.push(`0, ${gpu0} %, 1000 MiB, 81559 MiB`, `1, 91 %, 70000 MiB, 81559 MiB`);
    return t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/metrics/nvidia-smi?node=${node}&intervalMs=5000`,
      payload: rows.join("\n"),
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "text/csv" },
    });
  };
  const alertsOf = async (runId: string, until: (alerts: Alert[]) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const items = (await t.request({ method: "GET", url: `/api/v1/runs/${runId}/alerts` })).json<{ items: Alert[] }>().items;
      if (until(items)) return items;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("alerts did not reach the expected state");
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    slack = await startRecordingServer((_request, response) => {
      response.end("ok");
    });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/ml/config",
      payload: yaml(slack.url),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    base = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  it("merges 8 workers' logs, fires gpus-idle, refuses live, and compares the next run", async () => {
    await release("1.0.0", "aaaaaaa1111111");
    const run = await createRun("1.0.0");
    const node = (code: string, ...args: string[]) =>
      promisify(execFile)(process.execPath, ["--input-type=module", "-e", code, ...args], { cwd: ROOT });
    await Promise.all([
      ...[1, 2, 3, 4].map((i) => node(OTLP_WORKER, `${base}/v1/logs`, run.ingestToken, run.id, `worker-${i}`)),
      ...[5, 6, 7, 8].map((i) => node(NDJSON_WORKER, `${base}/api/v1/runs/${run.id}/logs`, run.ingestToken, `worker-${i}`)),
    ]);

    const merged = (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs?limit=1000` })).json<{
      items: LogRecord[];
    }>();
    expect(merged.items).toHaveLength(8 * 51);
    const times = merged.items.map((r) => Date.parse(r.ts));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const worker3 = (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs?node=worker-3&q=NCCL` })).json<{
      items: LogRecord[];
    }>();
    expect(worker3.items.map((r) => r.node)).toEqual(["worker-3"]);

    expect((await gpuSamples(run, "worker-1", 3)).statusCode).toBe(200);
    expect((await gpuSamples(run, "worker-2", 88)).statusCode).toBe(200);
    const fired = await alertsOf(run.id, (items) => items.some((a) => a.rule === "gpus-idle"));
    expect(fired.find((a) => a.rule === "gpus-idle")).toMatchObject({ state: "firing", severity: "critical" });
    expect(fired.find((a) => a.rule === "gpus-idle")?.message).toMatch(/worker-1\/gpu 0 \(3\.0\)/);
    expect(fired.find((a) => a.rule === "gpus-idle")?.message).not.toMatch(/worker-2/);
    // The subscribed Slack channel hears of it, through the notifications outbox.
    await expect.poll(() => slack.requests.map((r) => r.body).join("\n"), { timeout: 15_000 }).toMatch(/Alert firing: ml/);
    expect(slack.requests.map((r) => r.body).join("\n")).toMatch(/gpus-idle \(critical\)/);

    const summary = (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/summary` })).json<RunSummary>();
    expect(summary.records).toBe(408);
    expect(summary.nodes).toHaveLength(8);
    expect(summary.topErrors).toHaveLength(1);
    expect(summary.topErrors[0]).toMatchObject({ count: 8, template: "NCCL watchdog timeout after <n> ms on rank <n>" });
    expect(summary.topErrors[0]?.nodes).toHaveLength(8);
    expect(summary.alerts.map((a) => a.rule)).toContain("gpus-idle");
    expect(summary.metrics.filter((m) => m.name === "gpu.utilization")).toHaveLength(4);

    await t.request({ method: "POST", url: `/api/v1/runs/${run.id}/end`, payload: { status: "succeeded" } });
    const refused = await t.request({
      method: "POST",
      url: "/api/v1/projects/ml/releases/1.0.0/promote",
      payload: { environment: "live" },
    });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: "gate_failed" } });
    expect(refused.body).toMatch(/critical alert gpus-idle/);

    // The fix: 1.1.0 keeps every GPU busy; its run passes the gate and is compared with the previous one.
    await release("1.1.0", "bbbbbbb2222222");
    const next = await createRun("1.1.0");
    await t.request({
      method: "POST",
      url: `/api/v1/runs/${next.id}/logs`,
      payload: JSON.stringify({ level: "info", msg: "all good", node: "worker-1" }),
      headers: { authorization: `Bearer ${next.ingestToken}`, "content-type": "application/x-ndjson" },
    });
    expect((await gpuSamples(next, "worker-1", 85)).statusCode).toBe(200);
    await alertsOf(next.id, () => true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await alertsOf(next.id, () => true)).toEqual([]);
    await t.request({ method: "POST", url: `/api/v1/runs/${next.id}/end`, payload: { status: "succeeded" } });
    const allowed = await t.request({
      method: "POST",
      url: "/api/v1/projects/ml/releases/1.1.0/promote",
      payload: { environment: "live" },
    });
    expect(allowed.statusCode, allowed.body).toBe(201);
    const compared = (await t.request({ method: "GET", url: `/api/v1/runs/${next.id}/summary` })).json<RunSummary>();
    expect(compared.comparison.previousRun?.runId).toBe(run.id);
    expect(compared.comparison.previousRun?.errors).toBe(8);
    expect(compared.comparison.current.errors).toBe(0);
    expect(compared.comparison.current.gpuUtilizationAvg).toBeCloseTo(88, 0);
    expect(compared.comparison.previousRun?.gpuUtilizationAvg).toBeCloseTo((3 + 91 + 88 + 91) / 4, 0);
  }, 120_000);
});
