import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";
import type { CreatedRun } from "../runs/runs.types.ts";
import type { AnalysisView } from "./spark.service.ts";
import type { AnalysisListItem } from "./spark.store.ts";
import { SyntheticLog } from "./testing/synthetic-log.ts";

const dir = fixturesDir("spark");

describe.each(testDialects())("Spark analyses of runs on %s", (dialect) => {
  let t: TestApp;
  const createRun = async (): Promise<CreatedRun> => {
    const created = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/runs",
      payload: { name: "nightly-etl", environment: "quant" },
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json<CreatedRun>();
  };
  const put = (runId: string, name: string, body: Buffer | string, query = "") =>
    t.request({
      method: "PUT",
      url: `/api/v1/runs/${runId}/spark/${name}${query}`,
      payload: body,
      headers: { "content-type": "application/octet-stream" },
    });

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  it("analyses an uploaded zstd log, stores it, and lists it with its findings", async () => {
    const run = await createRun();
    const res = await put(run.id, "driver", readFileSync(`${dir}/local-1776286786993.zstd`));
    expect(res.statusCode, res.body).toBe(200);
    const view = res.json<AnalysisView>();
    expect(view.analysis.counts).toMatchObject({ taskEnds: 52, jobsStarted: 23 });
    expect(view.analysis.stages.length).toBeGreaterThan(0);
    expect(view.analysis.findings[0]?.severity).toBe("critical");
    expect(view.comparison).toBeNull();
    const list = (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/spark` })).json<{ items: AnalysisListItem[] }>();
    expect(list.items.map((i) => [i.name, i.complete, i.critical > 0])).toEqual([["driver", true, true]]);
    const got = await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/spark/driver` });
    expect(got.statusCode).toBe(200);
    expect(got.json<AnalysisView>().analysis.counts).toEqual(view.analysis.counts);
  });

  it("compares with the same-named analysis of the previous run of the same job", async () => {
    const base = new SyntheticLog()
      .executor("1")
      .stage(0, 0, { name: "save at Job.scala:42" })
      .task({ stage: 0, durationMs: 1000 })
      .completeStage(0, 0, { name: "save at Job.scala:42", completed: 10_000 })
      .end(20_000);
    const slow = new SyntheticLog()
      .executor("1")
      .stage(0, 0, { name: "save at Job.scala:42" })
      .task({ stage: 0, durationMs: 30_000 })
      .completeStage(0, 0, { name: "save at Job.scala:42", completed: 30_000 })
      .end(40_000);
    const first = await createRun();
    expect((await put(first.id, "app", base.text())).statusCode).toBe(200);
    const second = await createRun();
    const res = await put(second.id, "app", slow.text());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<AnalysisView>().comparison).toMatchObject({
      previousRunId: first.id,
      durationMs: { base: 20_000, current: 40_000, deltaMs: 20_000 },
      slowerStages: [{ stageName: "save at Job.scala:42", baseMs: 10_000, currentMs: 30_000 }],
    });
  });

  it("returns the app name with markup verbatim as JSON", async () => {
    const run = await createRun();
    const log = new SyntheticLog({ start: false }).event({
      Event: "SparkListenerApplicationStart",
      "App Name": "<script>alert(1)</script>",
      Timestamp: 1,
    });
    const res = await put(run.id, "xss", log.text());
    expect(res.json<AnalysisView>().analysis.app).toMatchObject({ appName: "<script>alert(1)</script>" });
  });

  it("answers 422 for a file that is not an event log, saying what it looks like", async () => {
    const run = await createRun();
    const res = await put(run.id, "pdf", Buffer.from("%PDF-1.7\n1 0 obj\n"));
    expect(res.statusCode).toBe(422);
    expect(res.json<{ error: { code: string; message: string } }>().error.message).toMatch(/a PDF document/);
  });

  it("answers 413 for a decompression bomb", async () => {
    const run = await createRun();
    const bomb = gzipSync(
      Buffer.concat([
        Buffer.from('{"Event":"SparkListenerLogStart","Spark Version":"3.5.0"}\n'),
        Buffer.alloc(70 * 1024 * 1024, 0x20),
      ]),
    );
    const res = await put(run.id, "bomb", bomb);
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json<{ error: { code: string } }>().error.code).toBe("payload_too_large");
  });

  it("answers 404 for an unknown run or analysis and 400 for a bad name", async () => {
    expect((await put("run_nope", "x", "{}")).statusCode).toBe(404);
    const run = await createRun();
    expect((await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/spark/none` })).statusCode).toBe(404);
    expect((await put(run.id, "-x", "{}")).statusCode).toBe(400);
  });
});

describe.each(testDialects())("critical Spark findings and the run_healthy gate on %s", (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    const yaml = `environments:
  - name: quant
    executor: { type: shell, config: { command: ["true"] } }
  - name: quant_stg
    gates: [ { type: run_healthy, environment: quant } ]
    executor: { type: shell, config: { command: ["true"] } }
`;
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/gpu/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  it("refuses promotion while the run in the previous environment has a critical finding, naming it", async () => {
    const released = await t.request({
      method: "POST",
      url: "/api/v1/projects/gpu/releases",
      payload: { version: "1.0.0", commitSha: "cafe0123456789", branch: "main" },
    });
    expect(released.statusCode, released.body).toBe(201);
    const promote = (environment: string) =>
      t.request({ method: "POST", url: "/api/v1/projects/gpu/releases/1.0.0/promote", payload: { environment } });
    const toQuant = await promote("quant");
    expect((await t.waitForDeployment(toQuant.json<{ id: string }>().id)).status).toBe("succeeded");
    const created = await t.request({
      method: "POST",
      url: "/api/v1/projects/gpu/runs",
      payload: { name: "inference", environment: "quant", releaseVersion: "1.0.0" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const run = created.json<CreatedRun>();
    const ended = await t.request({ method: "POST", url: `/api/v1/runs/${run.id}/end`, payload: { status: "succeeded" } });
    expect(ended.statusCode, ended.body).toBe(200);
    const uploaded = await t.request({
      method: "PUT",
      url: `/api/v1/runs/${run.id}/spark/driver`,
      payload: readFileSync(`${dir}/gpu_oom_eventlog.zstd`),
      headers: { "content-type": "application/octet-stream" },
    });
    expect(uploaded.statusCode, uploaded.body).toBe(200);
    const refused = await promote("quant_stg");
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe("gate_failed");
    expect(refused.body).toMatch(/critical Spark finding in driver: .*GPU/i);
  });
});
