import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { createRateLimiter } from "../../shared/rate-limit.ts";
import type { CreatedRun } from "./runs.types.ts";

describe("the shared token-bucket rate limiter", () => {
  it("lets a second's worth through, then says how long to wait, and refills with time", () => {
    let now = 0;
    const limiter = createRateLimiter(3, () => now);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 0]);
    expect(limiter.take("a")).toBe(1);
    expect(limiter.take("b")).toBe(0);
    now = 400;
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(1);
    expect(createRateLimiter(0).take("a")).toBe(0);
  });
});

describe.each(testDialects())("per-token rate limit on the ingest endpoints on %s", (dialect) => {
  let t: TestApp;
  const ndjson = (r: CreatedRun) =>
    t.request({
      method: "POST",
      url: `/api/v1/runs/${r.id}/logs`,
      payload: '{"msg":"hello"}',
      headers: { authorization: `Bearer ${r.ingestToken}`, "content-type": "application/x-ndjson" },
    });
  const prometheus = (r: CreatedRun) =>
    t.request({
      method: "POST",
      url: `/api/v1/runs/${r.id}/metrics/prometheus?node=w1`,
      payload: 'DCGM_FI_DEV_GPU_UTIL{gpu="0"} 50\n',
      headers: { authorization: `Bearer ${r.ingestToken}`, "content-type": "text/plain" },
    });
  const otlp = (r: CreatedRun) =>
    t.request({
      method: "POST",
      url: "/v1/logs",
      payload: {
        resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ body: { stringValue: "x" } }] }] }],
      },
      headers: { authorization: `Bearer ${r.ingestToken}`, "content-type": "application/json" },
    });

  const make = async (name: string) =>
    (await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name } })).json<CreatedRun>();
  /** `n` requests at once: the limiter sees them within milliseconds, so a second's refill cannot blur the count. */
  const burst = (n: number, send: () => ReturnType<typeof ndjson>) => Promise.all(Array.from({ length: n }, send));

  beforeAll(async () => {
    t = await startTestApp(dialect, { RUNS_INGEST_RATE_LIMIT: "3" });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  it("answers 429 with Retry-After once a token exceeds its rate, stores nothing refused, and leaves other tokens alone", async () => {
    const run = await make("limited");
    const answers = await burst(10, () => ndjson(run));
    const ok = answers.filter((a) => a.statusCode === 200);
    const refused = answers.filter((a) => a.statusCode === 429);
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(ok.length).toBeLessThanOrEqual(5);
    expect(ok.length + refused.length).toBe(10);
    expect(Number(refused[0]?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(refused[0]?.json()).toMatchObject({ error: { code: "rate_limited" } });
    const stored = await t.request({ method: "GET", url: `/api/v1/runs/${run.id}/logs` });
    expect(stored.json<{ items: unknown[] }>().items).toHaveLength(ok.length);

    expect((await ndjson(await make("other"))).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await ndjson(run)).statusCode).toBe(200);
  });

  it("limits metric pushes the same way", async () => {
    const run = await make("metrics");
    const answers = await burst(10, () => prometheus(run));
    const refused = answers.filter((a) => a.statusCode === 429);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]?.headers["retry-after"]).toBeDefined();
  });

  it("answers OTLP exports as OTLP/HTTP says: 429, Retry-After and a google.rpc.Status (RESOURCE_EXHAUSTED)", async () => {
    const run = await make("otlp");
    const answers = await burst(10, () => otlp(run));
    expect(answers.filter((a) => a.statusCode === 200).length).toBeGreaterThanOrEqual(3);
    const refused = answers.filter((a) => a.statusCode === 429);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(refused[0]?.headers["retry-after"]).toBeDefined();
    expect(refused[0]?.json()).toMatchObject({ code: 8 });
  });
});
