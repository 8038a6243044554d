import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, ONE_STAGE_YAML, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { decodeProtobuf, OtlpTypes } from "./otlp.proto.ts";
import type { CreatedRun } from "./runs.types.ts";

const PROTOBUF = "application/x-protobuf";
/** gRPC status codes the answers use. */
const RESOURCE_EXHAUSTED = 8;
const INVALID_ARGUMENT = 3;

describe.each(testDialects())("OTLP/HTTP error answers on %s", (dialect) => {
  let t: TestApp;
  let run: CreatedRun;
  const exportTo = (signal: "logs" | "metrics", body: Buffer | string, headers: Record<string, string>) =>
    t.app.http.inject({
      method: "POST",
      url: `/v1/${signal}`,
      payload: body,
      headers: { authorization: `Bearer ${run.ingestToken}`, ...headers },
    });
  const status = (body: Buffer) => decodeProtobuf(OtlpTypes.status, new Uint8Array(body)) as { code?: number; message?: string };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await applyConfig(t, "ml", ONE_STAGE_YAML);
    run = (await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name: "otlp" } })).json<CreatedRun>();
  });
  afterAll(() => t.close());

  it("answers a body over the limit with 413 and a google.rpc.Status in the request's encoding", async () => {
    const huge = Buffer.alloc(11 * 1024 * 1024, 0x20);
    for (const signal of ["logs", "metrics"] as const) {
      const proto = await exportTo(signal, huge, { "content-type": PROTOBUF });
      expect(proto.statusCode).toBe(413);
      expect(proto.headers["content-type"]).toBe(PROTOBUF);
      const decoded = status(proto.rawPayload);
      expect(decoded.code).toBe(RESOURCE_EXHAUSTED);
      expect(decoded.message).toContain(`limit of ${10 * 1024 * 1024} bytes`);

      const json = await exportTo(signal, huge, { "content-type": "application/json" });
      expect(json.statusCode).toBe(413);
      expect(json.headers["content-type"]).toMatch(/^application\/json/);
      expect(json.json()).toMatchObject({ code: RESOURCE_EXHAUSTED, message: expect.stringContaining("limit") });
    }
  });

  it("answers a gzip bomb with 413, and br or an unknown Content-Type with 415, as a google.rpc.Status", async () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 0x20));
    const exploded = await exportTo("logs", bomb, { "content-type": PROTOBUF, "content-encoding": "gzip" });
    expect(exploded.statusCode).toBe(413);
    expect(status(exploded.rawPayload)).toMatchObject({ code: RESOURCE_EXHAUSTED });
    expect(status(exploded.rawPayload).message).toContain("once decompressed");

    const br = await exportTo("metrics", "{}", { "content-type": "application/json", "content-encoding": "br" });
    expect(br.statusCode).toBe(415);
    expect(br.json()).toMatchObject({ code: INVALID_ARGUMENT, message: expect.stringContaining("gzip") });

    const text = await exportTo("logs", "hello", { "content-type": "text/plain" });
    expect(text.statusCode).toBe(415);
    expect(text.headers["content-type"]).toMatch(/^application\/json/);
    expect(text.json()).toMatchObject({
      code: INVALID_ARGUMENT,
      message: expect.stringMatching(/text\/plain is not accepted.*application\/x-protobuf, application\/json/),
    });
  });
});
