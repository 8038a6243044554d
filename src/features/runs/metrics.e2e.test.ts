import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";
import type { CreatedRun } from "./runs.types.ts";

const GPU = pathToFileURL(`${fixturesDir("gpu")}/`);
const capture = readFileSync(new URL("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt", GPU), "utf8");

/** The CSV of one `query-gpu` section of the capture: the lines between its banner and the next `####` rule. */
function section(name: "idle" | "load"): string {
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

/** The capture's nvidia-smi timestamps moved so that its last sample was taken `endAt`: a replay of it today. */
function replayed(csv: string, endAt: number): string {
  const STAMP = /(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})/g;
  const ms = (m: string[]) =>
    Date.UTC(+(m[1] ?? 0), +(m[2] ?? 1) - 1, +(m[3] ?? 1), +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), +(m[7] ?? 0));
  const last = Math.max(...[...csv.matchAll(STAMP)].map((m) => ms(m)));
  const two = (n: number) => String(n).padStart(2, "0");
  return csv.replace(STAMP, (...m: string[]) => {
    const d = new Date(ms(m) - last + endAt);
    return `${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, "0")}`;
  });
}

interface MetricAnswer {
  from: string;
  to: string;
  stepMs: number;
  series: {
    node: string;
    gpu: string;
    labels: Record<string, string>;
    points: { ts: string; min: number; avg: number; max: number; count: number }[];
  }[];
}

describe.each(testDialects())("run metrics on %s", (dialect) => {
  let t: TestApp;
  const newRun = async () => {
    const res = await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name: "gpu" } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedRun>();
  };
  const push = (run: CreatedRun, kind: "prometheus" | "nvidia-smi", body: string, query = "") =>
    t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/metrics/${kind}${query}`,
      payload: body,
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": kind === "prometheus" ? "text/plain" : "text/csv" },
    });
  const metric = async (run: CreatedRun, query: string) => {
    const res = await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/metrics?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<MetricAnswer>();
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.request({
      method: "PUT",
      url: "/api/v1/projects/ml/config",
      payload: 'environments:\n  - name: stg\n    executor: { type: shell, config: { command: ["true"] } }\n',
      headers: { "content-type": "application/yaml" },
    });
  });
  afterAll(() => t.close());

  it("takes the nvidia_gpu_exporter scrape of an H100 under load, per node and GPU, with canonical GPU names", async () => {
    const run = await newRun();
    const scrape = readFileSync(new URL("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.metrics", GPU), "utf8");
    const res = await push(run, "prometheus", scrape, "?node=worker-1");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rejected: 0 });
    expect(res.json<{ accepted: number }>().accepted).toBeGreaterThan(100);
    const used = await metric(run, "name=gpu.memory.used_mib");
    expect(used.series).toHaveLength(1);
    expect(used.series[0]).toMatchObject({ node: "worker-1", gpu: "00000000-0000-0000-0000-000000000000" });
    expect(used.series[0]?.points[0]?.avg).toBeCloseTo(20_780_679_168 / 1024 / 1024, 3);
    const memUtil = await metric(run, "name=gpu.memory.utilization");
    expect(memUtil.series[0]?.points[0]?.avg).toBeCloseTo((20_780_679_168 / 85_520_809_984) * 100, 3);
  });

  it("counts malformed Prometheus lines and keeps the good ones", async () => {
    const run = await newRun();
    const res = await push(
      run,
      "prometheus",
      'DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="n1"} 87\nbroken{gpu="0" 1\nDCGM_FI_DEV_GPU_UTIL{gpu="1",Hostname="n1"} nope\nDCGM_FI_DEV_FB_USED{gpu="0",Hostname="n1"} 1024 1764590000000\n',
    );
    expect(res.json()).toMatchObject({ accepted: 2, rejected: 2 });
    const util = await metric(run, "name=gpu.utilization");
    expect(util.series.map((s) => [s.node, s.gpu, s.points[0]?.max])).toEqual([["n1", "0", 87]]);
  });

  it("reads nvidia-smi CSV with units in the header, [N/A] values and several GPUs", async () => {
    const run = await newRun();
    const res = await push(run, "nvidia-smi", readFileSync(new URL("query.txt", GPU), "utf8"), "?node=box");
    expect(res.statusCode, res.body).toBe(200);
    const used = await metric(run, "name=gpu.memory.used_mib");
    expect(used.series.map((s) => [s.node, s.gpu, s.points[0]?.avg])).toEqual([
      ["box", "0", 575],
      ["box", "1", 1234],
    ]);
    const fan = await metric(run, "name=fan.speed");
    expect(fan.series.map((s) => s.points[0]?.avg)).toEqual([38, 50]);
  });

  it("reads the H100 capture's idle and load samples (timestamps from the CSV) and shows the GPU going busy", async () => {
    const run = await newRun();
    const csv = replayed(`${section("idle")}\n${section("load")}\n`, Date.now() - 1000);
    const res = await push(run, "nvidia-smi", csv, "?node=h100");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rejected: 0 });
    const util = await metric(run, "name=gpu.utilization&buckets=2");
    expect(util.series).toHaveLength(1);
    const points = util.series[0]?.points ?? [];
    expect(points).toHaveLength(2);
    expect(points[0]?.avg).toBeLessThan(5);
    expect(points[1]?.avg).toBeGreaterThan(90);
  });

  it("spaces repeated samples without a timestamp column by the interval, and downsamples to the buckets asked", async () => {
    const run = await newRun();
    const rows = ["index, utilization.gpu [%], memory.used [MiB], memory.total [MiB]"];
    for (let i = 0; i < 60; i++) rows.push(`0, ${i % 2 ? 10 : 20} %, 100 MiB, 1000 MiB`, `1, 90 %, [N/A], 1000 MiB`);
    const res = await push(run, "nvidia-smi", rows.join("\n"), "?node=n&intervalMs=5000");
    expect(res.statusCode, res.body).toBe(200);
    const util = await metric(run, "name=gpu.utilization&buckets=6");
    expect(util.series.map((s) => s.gpu)).toEqual(["0", "1"]);
    const gpu0 = util.series[0]?.points ?? [];
    expect(gpu0.length).toBeLessThanOrEqual(7);
    expect(gpu0.reduce((n, p) => n + p.count, 0)).toBe(60);
    expect(Math.min(...gpu0.map((p) => p.min))).toBe(10);
    expect(Math.max(...gpu0.map((p) => p.max))).toBe(20);
    const span = Date.parse(gpu0[gpu0.length - 1]?.ts ?? "") - Date.parse(gpu0[0]?.ts ?? "");
    expect(span).toBeGreaterThan(4 * 60_000);
  });

  it("rejects a CSV with no header and a run's metrics with a wrong token", async () => {
    const run = await newRun();
    expect((await push(run, "nvidia-smi", "")).statusCode).toBe(400);
    const noHeader = await push(run, "nvidia-smi", "0, 38 %, 575 MiB");
    expect(noHeader.json()).toMatchObject({ accepted: 0, rejected: 1 });
    const wrong = await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/metrics/prometheus`,
      payload: "x 1",
      headers: { authorization: "Bearer sgr_nope", "content-type": "text/plain" },
    });
    expect(wrong.statusCode).toBe(401);
  });

  const alertsOf = async (run: CreatedRun, until: (alerts: { rule: string; state: string; message: string }[]) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const res = await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/alerts` });
      const items = res.json<{ items: { rule: string; state: string; message: string }[] }>().items;
      if (until(items)) return items;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("alerts did not reach the expected state");
  };

  it("clamps sample times years off to their arrival, and the default query spans the run, not 2018 to today", async () => {
    const run = await newRun();
    const now = Date.now();
    const body = [
      `DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="n1"} 40 1514764800000`,
      `DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="n1"} 50 ${now - 60_000}`,
      `DCGM_FI_DEV_GPU_UTIL{gpu="0",Hostname="n1"} 60 ${now + 86_400_000}`,
    ].join("\n");
    const res = await push(run, "prometheus", body);
    expect(res.json()).toMatchObject({ accepted: 3, rejected: 0 });
    const util = await metric(run, "name=gpu.utilization");
    expect(Date.parse(util.to) - Date.parse(util.from)).toBeLessThan(10 * 60_000);
    expect(Date.parse(util.from)).toBeGreaterThan(Date.parse("2026-01-01"));
    const points = util.series[0]?.points ?? [];
    expect(points.reduce((n, p) => n + p.count, 0)).toBe(3);
    expect(Math.max(...points.map((p) => Date.parse(p.ts)))).toBeLessThanOrEqual(Date.now());
    expect(util.stepMs).toBeLessThan(10_000);
  });

  it("reports each NaN and +Inf sample of a scrape as an error with its line, and stores the rest", async () => {
    const run = await newRun();
    const res = await push(
      run,
      "prometheus",
      '# TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{gpu="0"} NaN\nDCGM_FI_DEV_GPU_UTIL{gpu="1"} +Inf\nDCGM_FI_DEV_GPU_UTIL{gpu="2"} 12\n',
    );
    expect(res.json()).toEqual({
      accepted: 1,
      rejected: 2,
      errors: [
        { line: 2, reason: "DCGM_FI_DEV_GPU_UTIL is NaN, not a measurement; the sample was not stored" },
        { line: 3, reason: "DCGM_FI_DEV_GPU_UTIL is +Inf, not a measurement; the sample was not stored" },
      ],
      clamped: 0,
    });
    const util = await metric(run, "name=gpu.utilization");
    expect(util.series.map((s) => s.gpu)).toEqual(["2"]);
  });

  /** dcgm-exporter's exposition (default counters): MiB gauges per GPU, labelled with the GPU, its UUID and the host. */
  const dcgmScrape = (ts: number, gpus: { used: number; free: number; reserved: number }[]) =>
    [
      "# HELP DCGM_FI_DEV_FB_FREE Framebuffer memory free (in MiB).",
      "# TYPE DCGM_FI_DEV_FB_FREE gauge",
      ...gpus.map(
        (g, i) =>
          `DCGM_FI_DEV_FB_FREE{gpu="${i}",UUID="GPU-${i}",device="nvidia${i}",modelName="NVIDIA H100 80GB HBM3",Hostname="dgx-1"} ${g.free} ${ts}`,
      ),
      "# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).",
      "# TYPE DCGM_FI_DEV_FB_USED gauge",
      ...gpus.map(
        (g, i) =>
          `DCGM_FI_DEV_FB_USED{gpu="${i}",UUID="GPU-${i}",device="nvidia${i}",modelName="NVIDIA H100 80GB HBM3",Hostname="dgx-1"} ${g.used} ${ts}`,
      ),
      "# HELP DCGM_FI_DEV_FB_RESERVED Framebuffer memory reserved (in MiB).",
      "# TYPE DCGM_FI_DEV_FB_RESERVED gauge",
      ...gpus.map(
        (g, i) =>
          `DCGM_FI_DEV_FB_RESERVED{gpu="${i}",UUID="GPU-${i}",device="nvidia${i}",modelName="NVIDIA H100 80GB HBM3",Hostname="dgx-1"} ${g.reserved} ${ts}`,
      ),
    ].join("\n");

  it("derives GPU memory utilisation from DCGM's FB_USED and FB_FREE, fires gpu-memory-high, and lists the metrics-only node", async () => {
    const run = await newRun();
    const now = Date.now();
    for (const ago of [60_000, 30_000, 0]) {
      const scrape = dcgmScrape(now - ago, [
        { used: 79_000, free: 1000, reserved: 559 },
        { used: 1000, free: 79_000, reserved: 559 },
      ]);
      expect((await push(run, "prometheus", scrape)).json()).toMatchObject({ accepted: 6, rejected: 0 });
    }
    const util = await metric(run, "name=gpu.memory.utilization");
    expect(util.series.map((s) => [s.node, s.gpu, s.points[0]?.avg])).toEqual([
      ["dgx-1", "0", (79_000 / 80_000) * 100],
      ["dgx-1", "1", (1000 / 80_000) * 100],
    ]);
    const alerts = await alertsOf(run, (items) => items.some((a) => a.rule === "gpu-memory-high"));
    expect(alerts.find((a) => a.rule === "gpu-memory-high")).toMatchObject({ state: "firing" });
    expect(alerts.find((a) => a.rule === "gpu-memory-high")?.message).toMatch(/dgx-1\/gpu 0 \(98\.8\)/);
    expect(alerts.find((a) => a.rule === "gpu-memory-high")?.message).not.toMatch(/gpu 1/);

    const summary = await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/summary` });
    const nodes = summary.json<{ nodes: { node: string; records: number; firstRecordAt: string; lastSeenAt: string }[] }>().nodes;
    expect(nodes.map((n) => [n.node, n.records])).toEqual([["dgx-1", 0]]);
    expect(Date.parse(nodes[0]?.firstRecordAt ?? "")).toBe(now - 60_000);
    expect(Date.parse(nodes[0]?.lastSeenAt ?? "")).toBeGreaterThanOrEqual(now);
  });

  /** node_exporter's `node_cpu_seconds_total` for two CPUs at one scrape: seconds per mode since boot. */
  const cpuScrape = (ts: number, cpus: Record<string, number>[]) =>
    [
      "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.",
      "# TYPE node_cpu_seconds_total counter",
      ...cpus.flatMap((modes, cpu) =>
        Object.entries(modes).map(([mode, value]) => `node_cpu_seconds_total{cpu="${cpu}",mode="${mode}"} ${value} ${ts}`),
      ),
    ].join("\n");

  it("turns node_exporter CPU counters into host CPU utilisation between scrapes, across pushes and within one", async () => {
    const run = await newRun();
    const t0 = Date.now() - 60_000;
    const base = { idle: 1000, user: 100, system: 50, iowait: 10 };
    const first = await push(run, "prometheus", cpuScrape(t0, [base, base]), "?node=cpu-box");
    expect(first.json()).toMatchObject({ accepted: 8, rejected: 0 });
    expect((await metric(run, "name=host.cpu.utilization")).series).toEqual([]);
    // CPU 0: 12 of 15 s busy; CPU 1: idle throughout ⇒ 12 of 30 s = 40 %.
    const second = cpuScrape(t0 + 15_000, [
      { idle: 1003, user: 110, system: 51, iowait: 11 },
      { idle: 1015, user: 100, system: 50, iowait: 10 },
    ]);
    await push(run, "prometheus", second, "?node=cpu-box");
    // Then 15 s with both CPUs busy (100 %), then 15 s with both idle (0 %), in one push of two scrapes.
    const busy = cpuScrape(t0 + 30_000, [
      { idle: 1003, user: 125, system: 51, iowait: 11 },
      { idle: 1015, user: 115, system: 50, iowait: 10 },
    ]);
    const idle = cpuScrape(t0 + 45_000, [
      { idle: 1018, user: 125, system: 51, iowait: 11 },
      { idle: 1030, user: 115, system: 50, iowait: 10 },
    ]);
    const both = `${busy}\n${idle}`;
    await push(run, "prometheus", both, "?node=cpu-box");
    const cpu = await metric(run, `name=host.cpu.utilization&from=${t0}&to=${t0 + 60_000}&buckets=4`);
    expect(cpu.series).toHaveLength(1);
    expect(cpu.series[0]?.node).toBe("cpu-box");
    expect(cpu.series[0]?.points.map((p) => Math.round(p.avg))).toEqual([40, 100, 0]);
  });

  /** An OTLP/JSON export as the collector's hostmetrics receiver sends it: one gauge point per state (and CPU). */
  const otlpHost = (ts: number, memory: Record<string, number>, cpus: Record<string, number>[]) => ({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "host.name", value: { stringValue: "spark-worker-3" } }] },
        scopeMetrics: [
          {
            scope: { name: "otelcol/hostmetricsreceiver/memory", version: "0.98.0" },
            metrics: [
              {
                name: "system.memory.utilization",
                unit: "1",
                gauge: {
                  dataPoints: Object.entries(memory).map(([state, value]) => ({
                    timeUnixNano: `${ts}000000`,
                    asDouble: value,
                    attributes: [{ key: "state", value: { stringValue: state } }],
                  })),
                },
              },
              {
                name: "system.cpu.utilization",
                unit: "1",
                gauge: {
                  dataPoints: cpus.flatMap((modes, cpu) =>
                    Object.entries(modes).map(([mode, value]) => ({
                      timeUnixNano: `${ts}000000`,
                      asDouble: value,
                      attributes: [
                        { key: "cpu", value: { stringValue: `cpu${cpu}` } },
                        { key: "state", value: { stringValue: mode } },
                      ],
                    })),
                  ),
                },
              },
            ],
          },
        ],
      },
    ],
  });

  it("reads OTLP host memory and CPU utilisation by state: used memory, 1 − idle per core, and host-memory-high fires", async () => {
    const run = await newRun();
    const now = Date.now();
    for (const ago of [60_000, 30_000, 0]) {
      const res = await t.request({
        method: "POST",
        url: "/v1/metrics",
        payload: otlpHost(
          now - ago,
          { used: 0.95, free: 0.01, buffered: 0.01, cached: 0.02, slab_reclaimable: 0.005, slab_unreclaimable: 0.005 },
          [
            { idle: 0.2, user: 0.7, system: 0.1 },
            { idle: 0.6, user: 0.3, system: 0.1 },
          ],
        ),
        headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/json" },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const memory = await metric(run, "name=host.memory.utilization");
    expect(memory.series.map((s) => [s.node, s.points.every((p) => Math.abs(p.avg - 95) < 1e-9)])).toEqual([
      ["spark-worker-3", true],
    ]);
    const cpu = await metric(run, "name=host.cpu.utilization");
    expect(cpu.series.map((s) => s.points.map((p) => Math.round(p.avg * 1e6) / 1e6))).toEqual([[60, 60, 60]]);
    const alerts = await alertsOf(run, (items) => items.some((a) => a.rule === "host-memory-high"));
    expect(alerts.find((a) => a.rule === "host-memory-high")?.message).toMatch(/spark-worker-3 \(95\.0\)/);
  });
});
