import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { alertNotificationEvent } from "./alerts.notice.ts";
import { createAlertsService } from "./alerts.service.ts";
import { createMetricsService } from "./metrics.service.ts";
import { findRun } from "./runs.store.ts";
import type { CreatedRun, RunRecord } from "./runs.types.ts";

const ENVIRONMENTS = 'environments:\n  - name: stg\n    executor: { type: shell, config: { command: ["true"] } }\n';

describe.each(testDialects())("alert rules on %s", (dialect) => {
  let t: TestApp;
  const apply = (alerts: string) =>
    t.request({
      method: "PUT",
      url: "/api/v1/projects/ml/config",
      payload: `${ENVIRONMENTS}alerts:\n${alerts}`,
      headers: { "content-type": "application/yaml" },
    });
  const messageOf = async (alerts: string) => {
    const res = await apply(alerts);
    expect(res.statusCode, res.body).toBe(400);
    return res.json<{ error: { message: string } }>().error.message;
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/ml/config",
      payload: ENVIRONMENTS,
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => t.close());

  describe("in stagegate.yaml", () => {
    it("names the missing `after` of a node_silent rule, not a metric rule's fields", async () => {
      expect(await messageOf("  - { name: quiet, type: node_silent }\n")).toBe(
        "stagegate.yaml line 5: alerts[0].after is required",
      );
    });

    it("names a bad rule name with what a name may hold", async () => {
      expect(await messageOf('  - { name: "GPU idle", type: node_silent, after: 5m }\n')).toMatch(
        /^stagegate\.yaml line 5: alerts\[0\]\.name is "GPU idle"; a rule name is 1–63 lower-case letters/,
      );
    });

    it("names a bad severity and the ones there are", async () => {
      const message = await messageOf(
        "  - { name: quiet, type: node_silent, after: 5m }\n  - { name: hot, metric: gpu.temperature, op: '>', threshold: 85, severity: fatal }\n",
      );
      expect(message).toBe(
        'stagegate.yaml line 6: alerts[1].severity is "fatal", not a known severity; use critical, warning or info',
      );
    });

    it("names an unknown rule type, a metric rule's missing threshold and a field another rule type has", async () => {
      expect(await messageOf("  - { name: x, type: gpu_idle, metric: gpu.utilization }\n")).toMatch(
        /alerts\[0\]\.type is "gpu_idle", not a known rule type; use metric, error_rate, node_silent or duration_p95$/,
      );
      expect(await messageOf("  - { name: x, metric: gpu.utilization, op: '<' }\n")).toMatch(
        /alerts\[0\]\.threshold is required$/,
      );
      expect(await messageOf("  - { name: x, type: node_silent, after: 5m, metric: gpu.utilization }\n")).toMatch(
        /alerts\[0\]\.metric is not a known key$/,
      );
      expect(await messageOf("  - { name: x, type: error_rate }\n")).toMatch(/alerts\[0\]\.threshold is required$/);
    });

    it("accepts one rule of each type", async () => {
      const res = await apply(
        [
          "  - { name: gpus-idle, metric: gpu.utilization, op: '<', threshold: 20, window: 10m, aggregate: avg, severity: critical }",
          "  - { name: errors, type: error_rate, threshold: 10, window: 1m }",
          "  - { name: node-silent, type: node_silent, after: 5m }",
          "  - { name: slow, type: duration_p95, runs: 10 }",
          "",
        ].join("\n"),
      );
      expect(res.statusCode, res.body).toBe(200);
    });
  });

  it("flags a node that only sends metrics when it goes silent", async () => {
    expect((await apply("  - { name: node-silent, type: node_silent, after: 5m, severity: warning }\n")).statusCode).toBe(200);
    const made = await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name: "gpu-job" } });
    const created = made.json<CreatedRun>();
    const run = (await findRun(t.db.kysely, created.id)) as RunRecord;
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    const metrics = createMetricsService({ db: t.db.kysely, dialect, clock });
    const alerts = createAlertsService({ db: t.db.kysely, clock });
    const sample = (node: string) => ({ name: "DCGM_FI_DEV_GPU_UTIL", node, gpu: "0", labels: {}, ts: now, value: 90 });
    await metrics.ingestPoints(run, [sample("gpu-a"), sample("gpu-b")]);

    now += 4 * 60_000;
    await metrics.ingestPoints(run, [sample("gpu-a")]);
    expect((await alerts.evaluate(run)).filter((a) => a.state === "firing")).toEqual([]);

    now += 2 * 60_000;
    const fired = (await alerts.evaluate(run)).find((a) => a.rule === "node-silent");
    expect(fired).toMatchObject({ state: "firing", value: 1 });
    expect(fired?.message).toBe("nothing (logs or metrics) for 5m from gpu-b");
  });

  it("counts the samples it clamps to the time they arrived", async () => {
    const made = (
      await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name: "old" } })
    ).json<CreatedRun>();
    const run = (await findRun(t.db.kysely, made.id)) as RunRecord;
    const metrics = createMetricsService({ db: t.db.kysely, dialect, clock: { now: () => new Date() } });
    const now = Date.now();
    const text = `DCGM_FI_DEV_GPU_UTIL{gpu="0"} 1 1514764800000\nDCGM_FI_DEV_GPU_UTIL{gpu="0"} 2 ${now}\nDCGM_FI_DEV_GPU_UTIL{gpu="0"} 3 ${now + 3_600_000}\n`;
    expect(await metrics.ingestPrometheus(run, text, "n")).toEqual({ accepted: 3, rejected: 0, clamped: 2, errors: [] });
  });
});

describe("alert notifications", () => {
  const run: RunRecord = {
    id: "run_01J9",
    projectId: "prj_1",
    name: "train",
    environment: "stg",
    releaseVersion: "1.0.0",
    commitSha: null,
    deploymentId: "dep_7",
    externalId: null,
    attributes: {},
    status: "running",
    createdBy: null,
    createdAt: "2026-12-01T10:00:00.000Z",
    endedAt: null,
  };
  const alert = {
    id: "alr_1",
    rule: "gpus-idle",
    severity: "critical",
    state: "firing" as const,
    message: "gpu.utilization avg < 20 over 10m on worker-1/gpu 0 (3.0)",
    value: 3,
    firedAt: "2026-12-01T10:20:00.000Z",
    resolvedAt: null,
  };

  it("link to the run's page in the dashboard, also for a deployment's run", () => {
    const event = alertNotificationEvent({ run, alert, change: "fired" }, { slug: "ml", name: "ML" }, "https://sg.example.com/");
    expect(event.links).toEqual({ view: "https://sg.example.com/runs/run_01J9" });
    const plain = alertNotificationEvent(
      { run: { ...run, deploymentId: null }, alert, change: "fired" },
      { slug: "ml", name: "ML" },
      "http://localhost:8080",
    );
    expect(plain.links).toEqual({ view: "http://localhost:8080/runs/run_01J9" });
  });
});
