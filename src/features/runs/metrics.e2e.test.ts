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

interface MetricAnswer {
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
    const res = await push(run, "nvidia-smi", `${section("idle")}\n${section("load")}\n`, "?node=h100");
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
});
