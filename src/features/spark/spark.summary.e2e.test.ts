import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";
import type { RunSummary } from "../../shared/runs.api.ts";
import type { CreatedRun } from "../runs/runs.types.ts";
import type { AnalysisView } from "./spark.service.ts";
import { SyntheticLog } from "./testing/synthetic-log.ts";

const dir = fixturesDir("spark");

async function createRun(t: TestApp, name: string): Promise<CreatedRun> {
  const created = await t.request({ method: "POST", url: "/api/v1/projects/gpu/runs", payload: { name, environment: "quant" } });
  expect(created.statusCode, created.body).toBe(201);
  return created.json<CreatedRun>();
}

function put(t: TestApp, runId: string, name: string, body: Buffer | string) {
  return t.request({
    method: "PUT",
    url: `/api/v1/runs/${runId}/spark/${name}`,
    payload: body,
    headers: { "content-type": "application/octet-stream" },
  });
}

const summaryOf = async (t: TestApp, runId: string): Promise<RunSummary> => {
  const res = await t.request({ method: "GET", url: `/api/v1/runs/${runId}/summary` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<RunSummary>();
};

const YAML = `environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
`;

describe.each(testDialects())("Spark findings in the run summary on %s", (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/gpu/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  it("has no findings for a run without event logs", async () => {
    const run = await createRun(t, "plain");
    expect((await summaryOf(t, run.id)).findings).toEqual({ critical: 0, warning: 0, info: 0, top: [] });
  });

  it("counts the findings of every analysis by severity and lists the most severe first", async () => {
    const run = await createRun(t, "inference");
    const oom = await put(t, run.id, "driver", readFileSync(`${dir}/gpu_oom_eventlog.zstd`));
    expect(oom.statusCode, oom.body).toBe(200);
    // A second analysis on the same run: a truncated log (no application end) is at least a warning.
    const cut = new SyntheticLog().executor("1").stage(0, 0).task({ stage: 0, durationMs: 100 });
    const truncated = await put(t, run.id, "retry", cut.text());
    expect(truncated.statusCode, truncated.body).toBe(200);
    const expected = [
      ...oom.json<AnalysisView>().analysis.findings.map((f) => ({ ...f, subject: "driver" })),
      ...truncated.json<AnalysisView>().analysis.findings.map((f) => ({ ...f, subject: "retry" })),
    ];
    const count = (severity: string) => expected.filter((f) => f.severity === severity).length;
    expect(count("critical")).toBeGreaterThan(0);

    const { findings } = await summaryOf(t, run.id);
    expect(findings).toMatchObject({ critical: count("critical"), warning: count("warning"), info: count("info") });
    expect(findings.top.length).toBe(Math.min(5, expected.length));
    const rank = { critical: 0, warning: 1, info: 2 } as const;
    const ranks = findings.top.map((f) => rank[f.severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(findings.top[0]).toMatchObject({ source: "spark", subject: "driver", severity: "critical" });
    expect(findings.top.some((f) => f.code === "gpu_oom")).toBe(true);
    for (const f of findings.top) {
      expect(expected).toContainEqual(expect.objectContaining({ code: f.code, title: f.title, subject: f.subject }));
      expect(f.advice.length).toBeGreaterThan(0);
    }
  });
});

describe.each(testDialects())("configurable Spark decompression caps on %s", (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { SPARK_MAX_DECOMPRESSED_BYTES: String(1024 * 1024) });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/gpu/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  it("answers 413 above a lowered decompressed-size cap and still takes a log under it", async () => {
    const run = await createRun(t, "capped");
    // 240 KB of zstd that expands to 1.4 MB: fine with the defaults (spark.e2e.test.ts), over a 1 MiB cap.
    const big = await put(t, run.id, "big", readFileSync(`${dir}/local-1776286786993.zstd`));
    expect(big.statusCode, big.body.slice(0, 300)).toBe(413);
    const error = big.json<{ error: { code: string; message: string; details: { limit: number } } }>().error;
    expect(error.code).toBe("payload_too_large");
    expect(error.details.limit).toBe(1024 * 1024);
    const small = await put(t, run.id, "small", readFileSync(`${dir}/eventlog_minimal_events`));
    expect(small.statusCode, small.body).toBe(200);
  });
});

describe.each(testDialects())("configurable Spark decompression ratio on %s", (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { SPARK_MAX_RATIO: "3" });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/gpu/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  it("answers 413 above a lowered ratio cap once 64 MiB came out", async () => {
    const run = await createRun(t, "ratio");
    // 70 MiB of event lines with varying numbers: about 10:1 under gzip, far below the default 200:1, above 3:1.
    const lines: string[] = ['{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}'];
    let size = 0;
    for (let i = 0; size < 70 * 1024 * 1024; i++) {
      const line = `{"Event":"SparkListenerCustom","n":${i},"v":${(i * 2654435761) % 1000003}}`;
      lines.push(line);
      size += line.length + 1;
    }
    const body = gzipSync(`${lines.join("\n")}\n`, { level: 1 });
    expect(size / body.length).toBeLessThan(200);
    const res = await put(t, run.id, "ratio", body);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(413);
    expect(res.json<{ error: { code: string; details: { maxRatio: number } } }>().error).toMatchObject({
      code: "payload_too_large",
      details: { maxRatio: 3 },
    });
  });
});
