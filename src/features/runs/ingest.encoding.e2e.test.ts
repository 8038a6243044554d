import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, ONE_STAGE_YAML, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { fixturesDir } from "../../../test/helpers/fixtures.ts";
import type { CreatedRun, IngestResult, LogRecord } from "./runs.types.ts";

const GPU = pathToFileURL(`${fixturesDir("gpu")}/`);
const scrape = readFileSync(new URL("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.metrics", GPU), "utf8");

/** The CSV of the capture's `load :: query-gpu` section (header with units, then samples). */
function nvidiaSmiCsv(): string {
  const lines = readFileSync(new URL("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt", GPU), "utf8").split("\n");
  const start = lines.findIndex((l) => l.startsWith("# load :: query-gpu"));
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

interface ErrorAnswer {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

describe.each(testDialects())("Content-Encoding and Content-Type on the ingest routes on %s", (dialect) => {
  let t: TestApp;
  const newRun = async (name: string) => {
    const res = await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedRun>();
  };
  const post = (run: CreatedRun, path: string, body: Buffer | string, headers: Record<string, string>) =>
    t.app.http.inject({
      method: "POST",
      url: `/api/v1/runs/${run.id}${path}`,
      payload: body,
      headers: { authorization: `Bearer ${run.ingestToken}`, ...headers },
    });
  const logsOf = async (run: CreatedRun) =>
    (await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs?limit=5000` })).json<{ items: LogRecord[] }>().items;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await applyConfig(t, "ml", ONE_STAGE_YAML);
  });
  afterAll(() => t.close());

  it("stores a gzipped NDJSON batch as its records (gzip and x-gzip, any accepted type)", async () => {
    const run = await newRun("gzip-ndjson");
    const ndjson = [
      JSON.stringify({ ts: "2026-01-01T00:00:00Z", level: "error", node: "w1", msg: "CUDA out of memory — ünïcode" }),
      "a plain text line",
    ].join("\n");
    const gz = await post(run, "/logs", gzipSync(ndjson), {
      "content-type": "application/x-ndjson",
      "content-encoding": "gzip",
    });
    expect(gz.statusCode, gz.body).toBe(200);
    expect(gz.json<IngestResult>()).toMatchObject({ accepted: 2, rejected: 0 });
    const xgz = await post(run, "/logs?node=w2", gzipSync("from text/plain"), {
      "content-type": "text/plain; charset=utf-8",
      "content-encoding": "x-gzip",
    });
    expect(xgz.json<IngestResult>()).toMatchObject({ accepted: 1 });
    const msgs = (await logsOf(run)).map((r) => r.msg).sort();
    expect(msgs).toEqual(["CUDA out of memory — ünïcode", "a plain text line", "from text/plain"]);
  });

  it("refuses a gzip bomb with 413 once the decompressed body passes the body limit, storing nothing", async () => {
    const run = await newRun("bomb");
    // 32 MB of log lines in ~32 KB: over the 10 MB limit only once decompressed.
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024, "OOM on rank 0\n"));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await post(run, "/logs", bomb, { "content-type": "application/x-ndjson", "content-encoding": "gzip" });
    expect(res.statusCode).toBe(413);
    const body = res.json<ErrorAnswer>();
    expect(body.error).toMatchObject({ code: "payload_too_large", details: { limitBytes: 10 * 1024 * 1024 } });
    expect(body.error.message).toContain("once decompressed");
    expect(await logsOf(run)).toEqual([]);
    const prom = await post(run, "/metrics/prometheus", bomb, { "content-type": "text/plain", "content-encoding": "gzip" });
    expect(prom.statusCode).toBe(413);
    // Without a valid token nothing is decompressed: 401 (and 404 for a run that does not exist), not 413.
    for (const authorization of ["Bearer sgr_not_a_token", ""]) {
      const anonymous = await post(run, "/logs", bomb, {
        "content-type": "application/x-ndjson",
        "content-encoding": "gzip",
        authorization,
      });
      expect([anonymous.statusCode, anonymous.json<ErrorAnswer>().error.code]).toEqual([401, "unauthorized"]);
    }
    const missing = await post({ ...run, id: "run_nope" }, "/metrics/nvidia-smi", bomb, {
      "content-type": "text/csv",
      "content-encoding": "gzip",
    });
    expect(missing.statusCode).toBe(404);
  });

  it("answers 415 naming the accepted encodings for br, and 400 for a body that is not gzip", async () => {
    const run = await newRun("encodings");
    const br = await post(run, "/logs", brotliCompressSync("hello"), {
      "content-type": "application/x-ndjson",
      "content-encoding": "br",
    });
    expect(br.statusCode).toBe(415);
    expect(br.json<ErrorAnswer>().error).toMatchObject({
      code: "unsupported_media_type",
      details: { contentEncoding: "br", acceptedEncodings: ["gzip", "identity"] },
    });
    expect(br.json<ErrorAnswer>().error.message).toContain("gzip");
    for (const path of ["/metrics/prometheus", "/metrics/nvidia-smi"]) {
      const res = await post(run, path, "x", { "content-type": "text/plain", "content-encoding": "deflate" });
      expect(res.statusCode).toBe(415);
    }
    const notGzip = await post(run, "/logs", "plain text", { "content-type": "text/plain", "content-encoding": "gzip" });
    expect(notGzip.statusCode).toBe(400);
    expect(notGzip.json<ErrorAnswer>().error.message).toContain("not gzip");
    expect(await logsOf(run)).toEqual([]);
  });

  it("takes a gzipped Prometheus scrape and nvidia-smi CSV exactly as the uncompressed ones", async () => {
    const plain = await newRun("plain");
    const zipped = await newRun("zipped");
    const csv = nvidiaSmiCsv();
    for (const [path, type, body] of [
      ["/metrics/prometheus?node=gpu-1", "text/plain; version=0.0.4", scrape],
      ["/metrics/nvidia-smi?node=gpu-1", "text/csv", csv],
    ] as const) {
      const a = await post(plain, path, body, { "content-type": type });
      const b = await post(zipped, path, gzipSync(body), { "content-type": type, "content-encoding": "gzip" });
      expect(a.statusCode, a.body).toBe(200);
      expect(b.statusCode, b.body).toBe(200);
      expect(b.json<IngestResult>().accepted).toBeGreaterThan(0);
      expect(b.json()).toEqual(a.json());
    }
  });

  it("tells NDJSON sent as application/json to use application/x-ndjson, and lists accepted types on every 415", async () => {
    const run = await newRun("types");
    const json = await post(run, "/logs", JSON.stringify({ msg: "hi" }), { "content-type": "application/json" });
    expect(json.statusCode).toBe(415);
    const error = json.json<ErrorAnswer>().error;
    expect(error.code).toBe("unsupported_media_type");
    expect(error.message).toContain("application/x-ndjson");
    expect(error.message).toContain("one JSON object per line");
    expect(error.details).toMatchObject({
      contentType: "application/json",
      accepted: ["application/x-ndjson", "application/jsonl", "text/plain"],
    });
    const cases: [string, string, string[]][] = [
      ["/logs", "application/x-www-form-urlencoded", ["application/x-ndjson", "application/jsonl", "text/plain"]],
      ["/metrics/prometheus", "application/json", ["text/plain"]],
      ["/metrics/nvidia-smi", "application/x-ndjson", ["text/csv", "text/plain"]],
    ];
    for (const [path, type, accepted] of cases) {
      const res = await post(run, path, "x", { "content-type": type });
      expect(res.statusCode, `${path} ${type}`).toBe(415);
      expect(res.json<ErrorAnswer>().error.details).toMatchObject({ contentType: type, accepted });
      for (const name of accepted) expect(res.json<ErrorAnswer>().error.message).toContain(name);
    }
    expect(await logsOf(run)).toEqual([]);
  });
});
