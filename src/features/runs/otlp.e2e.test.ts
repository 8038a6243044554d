import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter as HttpLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPMetricExporter as HttpMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { CompressionAlgorithm } from "@opentelemetry/otlp-exporter-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, ONE_STAGE_YAML, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";
import { decodeProtobuf, encodeProtobuf, OtlpTypes } from "./otlp.proto.ts";
import type { CreatedRun, LogRecord } from "./runs.types.ts";

const FIXTURES = pathToFileURL(`${fixturesDir("otlp")}/../`);

describe.each(testDialects())("OTLP/HTTP receivers on %s", (dialect) => {
  let t: TestApp;
  let base: string;
  let run: CreatedRun;
  const newRun = async (name: string) => {
    const res = await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedRun>();
  };
  const logsOf = async (id: string, query = "") =>
    (await t.request({ method: "GET", url: `/api/v1/runs/${id}/logs?limit=5000&${query}` })).json<{ items: LogRecord[] }>().items;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await applyConfig(t, "ml", ONE_STAGE_YAML);
    base = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    run = await newRun("otlp");
  });
  afterAll(() => t.close());

  it("stores logs from 4 workers sending with the official JSON and protobuf exporters (gzip too), node from the resource", async () => {
    const workers = [
      { attrs: { "host.name": "gpu-node-1" }, Exporter: HttpLogExporter, gzip: false },
      { attrs: { "k8s.pod.name": "trainer-pod-2" }, Exporter: ProtoLogExporter, gzip: false },
      { attrs: { "spark.executor.id": "3", "host.name": "shared-host" }, Exporter: ProtoLogExporter, gzip: true },
      { attrs: { "service.instance.id": "inst-4" }, Exporter: HttpLogExporter, gzip: true },
    ];
    for (const [i, w] of workers.entries()) {
      const exporter = new w.Exporter({
        url: `${base}/v1/logs`,
        headers: { Authorization: `Bearer ${run.ingestToken}` },
        ...(w.gzip ? { compression: CompressionAlgorithm.GZIP } : {}),
      });
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ "service.name": "trainer", ...w.attrs }),
        processors: [new SimpleLogRecordProcessor({ exporter })],
      });
      const logger = provider.getLogger("train");
      logger.emit({
        severityNumber: SeverityNumber.INFO,
        severityText: "INFO",
        body: `worker ${i} epoch 1`,
        attributes: { epoch: 1 },
      });
      logger.emit({ severityNumber: SeverityNumber.ERROR, body: `NCCL timeout on rank ${i}`, attributes: { rank: i } });
      await provider.forceFlush();
      await provider.shutdown();
    }
    const records = await logsOf(run.id);
    expect(records).toHaveLength(8);
    expect(new Set(records.map((r) => r.node))).toEqual(new Set(["gpu-node-1", "trainer-pod-2", "executor-3", "inst-4"]));
    const error = records.find((r) => r.msg === "NCCL timeout on rank 2");
    expect(error).toMatchObject({ level: "error", node: "executor-3", attributes: { rank: 2, "service.name": "trainer" } });
    expect((await logsOf(run.id, "level=error")).map((r) => r.msg).sort()).toEqual(
      [0, 1, 2, 3].map((i) => `NCCL timeout on rank ${i}`),
    );
  });

  it("reads the canonical opentelemetry-proto logs example, routed by stagegate.run.id with an API token", async () => {
    const other = await newRun("example");
    const example = JSON.parse(readFileSync(new URL("otlp/logs.json", FIXTURES), "utf8")) as {
      resourceLogs: { resource: { attributes: unknown[] } }[];
    };
    for (const r of example.resourceLogs)
      r.resource.attributes.push({ key: "stagegate.run.id", value: { stringValue: other.id } });
    const res = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json" },
      body: JSON.stringify(example),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const [record] = await logsOf(other.id);
    expect(record).toMatchObject({ msg: "Example log record", level: "info", traceId: "5b8efff798038103d269b633813fc60c" });
    expect(record?.attributes).toMatchObject({
      "string.attribute": "some string",
      "int.attribute": 10,
      "boolean.attribute": true,
    });
    // 2018-12-13T14:51:00.3Z in the example is far in the past: clamped and flagged, not lost.
    expect(record?.clamped).toBe(true);
  });

  it("answers partial success for records of an unknown run, 400 for a bad body, 401 without a token, in the request's encoding", async () => {
    const body = {
      resourceLogs: [
        { resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ body: { stringValue: "kept" } }] }] },
        {
          resource: { attributes: [{ key: "stagegate.run.id", value: { stringValue: "run_nope" } }] },
          scopeLogs: [{ logRecords: [{ body: { stringValue: "a" } }, { body: { stringValue: "b" } }] }],
        },
      ],
    };
    const json = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({
      partialSuccess: { rejectedLogRecords: "2", errorMessage: "run run_nope does not exist" },
    });

    const proto = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${run.ingestToken}`,
        "content-type": "application/x-protobuf",
        "content-encoding": "gzip",
      },
      body: gzipSync(encodeProtobuf(OtlpTypes.logsRequest, body)),
    });
    expect(proto.status).toBe(200);
    const decoded = decodeProtobuf(OtlpTypes.logsResponse, new Uint8Array(await proto.arrayBuffer()));
    expect(decoded).toEqual({ partialSuccess: { rejectedLogRecords: "2", errorMessage: "run run_nope does not exist" } });

    const bad = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-protobuf" },
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff]),
    });
    expect(bad.status).toBe(400);
    expect(decodeProtobuf(OtlpTypes.status, new Uint8Array(await bad.arrayBuffer()))).toMatchObject({ code: 3 });
    const badJson = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: 3 });
    const notGzip = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/json", "content-encoding": "gzip" },
      body: "{}",
    });
    expect(notGzip.status).toBe(400);
    const anonymous = await fetch(`${base}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(anonymous.status).toBe(401);
    expect((await logsOf(run.id)).some((r) => r.msg === "kept")).toBe(true);
  });

  it("stores gauges, sums and histograms from the official metric exporters (JSON and protobuf)", async () => {
    const metricsRun = await newRun("metrics");
    for (const [i, Exporter] of [HttpMetricExporter, ProtoMetricExporter].entries()) {
      const exporter = new Exporter({
        url: `${base}/v1/metrics`,
        headers: { Authorization: `Bearer ${metricsRun.ingestToken}` },
      });
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
      const provider = new MeterProvider({ resource: resourceFromAttributes({ "host.name": `node-${i}` }), readers: [reader] });
      const meter = provider.getMeter("gpu");
      const gauge = meter.createGauge("hw.gpu.utilization");
      gauge.record(0.1, { gpu: "0" });
      gauge.record(0.9, { gpu: "1" });
      meter.createCounter("batches").add(5);
      meter.createHistogram("step.duration").record(120);
      await reader.forceFlush();
      await provider.shutdown();
    }
    const util = (
      await t.request({ method: "GET", url: `/api/v1/runs/${metricsRun.id}/metrics?name=gpu.utilization&buckets=10` })
    ).json<{ series: { node: string; gpu: string; points: { avg: number }[] }[] }>();
    expect(util, JSON.stringify(util)).toHaveProperty("series");
    expect(util.series.map((s) => [s.node, s.gpu, Math.round(s.points[0]?.avg ?? -1)])).toEqual([
      ["node-0", "0", 10],
      ["node-0", "1", 90],
      ["node-1", "0", 10],
      ["node-1", "1", 90],
    ]);
    const batches = (await t.request({ method: "GET", url: `/api/v1/runs/${metricsRun.id}/metrics?name=batches` })).json<{
      series: { points: { max: number }[] }[];
    }>();
    expect(batches.series.map((s) => s.points[0]?.max)).toEqual([5, 5]);
    const histogram = (
      await t.request({ method: "GET", url: `/api/v1/runs/${metricsRun.id}/metrics?name=step.duration.sum` })
    ).json<{
      series: unknown[];
    }>();
    expect(histogram.series).toHaveLength(2);
  });

  it("takes the canonical opentelemetry-proto metrics example", async () => {
    const exampleRun = await newRun("metrics-example");
    const res = await fetch(`${base}/v1/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${exampleRun.ingestToken}`, "content-type": "application/json" },
      body: readFileSync(new URL("otlp/metrics.json", FIXTURES)),
    });
    expect(res.status).toBe(200);
    const names = await t.db.kysely
      .selectFrom("run_metrics")
      .select("name")
      .distinct()
      .where("run_id", "=", exampleRun.id)
      .orderBy("name")
      .execute();
    expect(names.map((n) => n.name)).toEqual(
      expect.arrayContaining(["my.counter", "my.gauge", "my.histogram.count", "my.histogram.sum"]),
    );
  });
});
