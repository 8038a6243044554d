import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { CreatedRun, IngestResult, LogRecord, Run } from "./runs.types.ts";

interface LogsPage {
  items: LogRecord[];
  nextCursor: string | null;
}

describe.each(testDialects())("runs and logs on %s", (dialect) => {
  let t: TestApp;
  let run: CreatedRun;
  const ingest = (id: string, body: string, token: string, query = "") =>
    t.request({
      method: "POST",
      url: `/api/v1/runs/${id}/logs${query}`,
      payload: body,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
    });
  const logs = async (id: string, query: string) => {
    const res = await t.request({ method: "GET", url: `/api/v1/runs/${id}/logs?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<LogsPage>();
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    const created = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/runs",
      payload: { name: "nightly-train", environment: "quant", attributes: { cluster: "gpu-8" } },
    });
    expect(created.statusCode, created.body).toBe(201);
    run = created.json<CreatedRun>();
  });
  afterAll(() => t.close());

  it("creates a running run with a run-scoped ingest token, and lists runs newest first with a cursor", async () => {
    expect(run).toMatchObject({ project: "shop", name: "nightly-train", environment: "quant", status: "running" });
    expect(run.ingestToken).toMatch(/^sgr_/);
    for (const name of ["a", "b"]) {
      expect((await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name } })).statusCode).toBe(201);
    }
    const first = (await t.request({ method: "GET", url: "/api/v1/projects/shop/runs?limit=2" })).json<{
      items: Run[];
      nextCursor: string;
    }>();
    expect(first.items.map((r) => r.name)).toEqual(["b", "a"]);
    const second = (
      await t.request({ method: "GET", url: `/api/v1/projects/shop/runs?limit=2&cursor=${first.nextCursor}` })
    ).json<{ items: Run[] }>();
    expect(second.items.map((r) => r.name)).toContain("nightly-train");
    const one = await t.request({ method: "GET", url: `/api/v1/runs/${run.id}` });
    expect(one.json<Run>()).not.toHaveProperty("ingestToken");
  });

  it("validates the create body and answers 404 for an unknown project or run", async () => {
    const bad = await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: "invalid_request" } });
    expect((await t.request({ method: "POST", url: "/api/v1/projects/nope/runs", payload: { name: "x" } })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: "/api/v1/runs/run_missing" })).statusCode).toBe(404);
  });

  it("ends a run once", async () => {
    const made = (
      await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "short" } })
    ).json<CreatedRun>();
    const ended = await t.request({ method: "POST", url: `/api/v1/runs/${made.id}/end`, payload: { status: "failed" } });
    expect(ended.json<Run>()).toMatchObject({ status: "failed" });
    expect(ended.json<Run>().endedAt).not.toBeNull();
    const again = await t.request({ method: "POST", url: `/api/v1/runs/${made.id}/end`, payload: { status: "succeeded" } });
    expect(again.statusCode).toBe(409);
  });

  it("gives every deployment a run that ends when the deployment ends", async () => {
    await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version: "1.0.0", commitSha: "abcdef1234567", branch: "main" },
    });
    const promoted = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/1.0.0/promote",
      payload: { environment: "quant" },
    });
    expect(promoted.statusCode, promoted.body).toBe(201);
    const deployment = await t.waitForDeployment(promoted.json<{ id: string }>().id);
    expect(deployment.status).toBe("succeeded");
    const runs = (await t.request({ method: "GET", url: "/api/v1/projects/shop/runs?name=deploy:quant" })).json<{
      items: Run[];
    }>();
    expect(runs.items).toHaveLength(1);
    expect(runs.items[0]).toMatchObject({
      deploymentId: deployment.id,
      environment: "quant",
      releaseVersion: "1.0.0",
      commitSha: "abcdef1234567",
      status: "succeeded",
    });
  });

  it("takes NDJSON from several nodes and merges it in time order, ties in arrival order", async () => {
    const at = (s: number) =>
      new Date(Date.UTC(2026, 0, 1) + s * 1000 + (Date.now() - Date.UTC(2026, 0, 1)) - 600_000).toISOString();
    const w1 = [
      { ts: at(1), level: "info", msg: "worker 1 starting", node: "w1" },
      { ts: at(3), level: "error", msg: "CUDA out of memory on device 0 at 0x7f3a2b", node: "w1", stack: "Traceback..." },
      { ts: at(5), level: "info", msg: "same second A", node: "w1" },
    ];
    const w2 = [
      { ts: at(2), level: "warning", msg: "worker 2 slow shard", node: "w2", shard: 7 },
      { ts: at(4), level: "ERROR", msg: "CUDA out of memory on device 3 at 0x99aa11", node: "w2" },
      { ts: at(5), level: "info", msg: "same second B", node: "w2" },
    ];
    const r1 = await ingest(run.id, w1.map((r) => JSON.stringify(r)).join("\n"), run.ingestToken);
    expect(r1.statusCode, r1.body).toBe(200);
    expect(r1.json<IngestResult>()).toMatchObject({ accepted: 3, rejected: 0 });
    const r2 = await ingest(run.id, `${w2.map((r) => JSON.stringify(r)).join("\n")}\n`, run.ingestToken);
    expect(r2.json<IngestResult>().accepted).toBe(3);
    const page = await logs(run.id, "");
    expect(page.items.map((r) => r.msg)).toEqual([
      "worker 1 starting",
      "worker 2 slow shard",
      "CUDA out of memory on device 0 at 0x7f3a2b\nTraceback...", // the stack attribute follows the first line
      "CUDA out of memory on device 3 at 0x99aa11",
      "same second A",
      "same second B",
    ]);
    expect(page.items[1]).toMatchObject({ level: "warn", node: "w2", attributes: { shard: 7 } });
    expect((await logs(run.id, "node=w2")).items.map((r) => r.node)).toEqual(["w2", "w2", "w2"]);
    expect((await logs(run.id, "level=error")).items).toHaveLength(2);
    expect((await logs(run.id, "q=memory%20device")).items.map((r) => r.node)).toEqual(["w1", "w2"]);
    expect((await logs(run.id, "q=nothingmatches")).items).toEqual([]);
    const p1 = await logs(run.id, "limit=4");
    const p2 = await logs(run.id, `limit=4&cursor=${p1.nextCursor}`);
    expect([...p1.items, ...p2.items].map((r) => r.msg)).toEqual(page.items.map((r) => r.msg));
    expect(p2.nextCursor).toBeNull();
    const newest = await logs(run.id, "order=desc&limit=2");
    expect(newest.items.map((r) => r.msg)).toEqual(["same second B", "same second A"]);
  });

  it("keeps good lines and counts bad ones; accepts plain text; clamps far timestamps; truncates attribute bombs", async () => {
    const made = (
      await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "bad" } })
    ).json<CreatedRun>();
    const bomb: Record<string, string> = { msg: "bomb", level: "info" };
    for (let i = 0; i < 10_000; i++) bomb[`k${i}`] = "v";
    const lines = [
      '{"msg":"ok one","level":"info"}',
      '{"msg": broken',
      "ERROR plain text failure here",
      '{"msg":"from the future","ts":"2999-01-01T00:00:00Z"}',
      JSON.stringify(bomb),
      JSON.stringify({ msg: "x".repeat(1_000_000) }),
      "[1,2]",
    ];
    const res = await ingest(made.id, lines.join("\n"), made.ingestToken, "?node=driver");
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json<IngestResult>();
    expect(result).toMatchObject({ accepted: 5, rejected: 2, clamped: 1, truncated: 2 });
    expect(result.errors.map((e) => e.line)).toEqual([2, 7]);
    const stored = (await logs(made.id, "")).items;
    expect(stored.find((r) => r.msg.startsWith("ERROR plain"))).toMatchObject({ level: "error", node: "driver" });
    const future = stored.find((r) => r.msg === "from the future");
    expect(future?.clamped).toBe(true);
    expect(Date.parse(future?.ts ?? "")).toBeLessThanOrEqual(Date.now());
    const kept = stored.find((r) => r.msg === "bomb");
    expect(Object.keys(kept?.attributes ?? {}).length).toBeLessThanOrEqual(65);
    expect(kept?.attributes?.["stagegate.truncated"]).toMatch(/10000 attributes sent/);
    const long = stored.find((r) => r.msg.startsWith("xxx"));
    expect(long?.truncated).toBe(true);
    expect(long?.msg.length).toBeLessThan(20_000);
    expect(long?.msg).toMatch(/…\[truncated \d+ bytes\]$/);
  });

  it("counts a batch of thousands of nodes and error groups, and keeps non-ASCII text and odd level and key names", async () => {
    const made = (
      await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "wide" } })
    ).json<CreatedRun>();
    // Letters only: each message is its own error group (digits would be normalised away).
    const word = (i: number) =>
      [i % 26, Math.floor(i / 26) % 26, Math.floor(i / 676)].map((d) => String.fromCharCode(97 + d)).join("");
    const wide = Array.from({ length: 4000 }, (_, i) =>
      JSON.stringify({ level: "error", node: `n-${word(i)}`, msg: `stage ${word(i)} failed` }),
    );
    const res = await ingest(made.id, wide.join("\n"), made.ingestToken);
    expect(res.json<IngestResult>()).toMatchObject({ accepted: 4000, rejected: 0 });
    const odd = [
      JSON.stringify({ level: "constructor", msg: "Größe überschritten ✓", __proto__x: 1 }),
      '{"level":"__proto__","msg":"proto attribute","__proto__":{"a":1},"constructor":"c"}',
    ];
    expect((await ingest(made.id, odd.join("\n"), made.ingestToken)).json<IngestResult>()).toMatchObject({ accepted: 2 });
    const summary = (await t.request({ method: "GET", url: `/api/v1/runs/${made.id}/summary` })).json<{
      records: number;
      nodes: { node: string; records: number; levels: { error: number } }[];
      topErrors: { count: number; nodes: string[] }[];
    }>();
    expect(summary.records).toBe(4002);
    expect(summary.nodes).toHaveLength(4001);
    expect(summary.nodes.find((n) => n.node === "n-bcd")).toMatchObject({ records: 1, levels: { error: 1 } });
    expect(summary.topErrors).toHaveLength(10);
    expect(summary.topErrors[0]).toMatchObject({ count: 1, nodes: [expect.stringMatching(/^n-/)] });
    const stored = (await logs(made.id, "node=default")).items;
    expect(stored.map((r) => [r.msg, r.level, r.attributes])).toEqual([
      ["Größe überschritten ✓", "info", { __proto__x: 1 }],
      ["proto attribute", "info", JSON.parse('{"__proto__":{"a":1},"constructor":"c"}')],
    ]);
    expect((await logs(made.id, "q=%C3%BCberschritten")).items.map((r) => r.msg)).toEqual(["Größe überschritten ✓"]);
  });

  it("refuses unknown runs, wrong tokens, another run's token, bodies over the limit and batches over 10k", async () => {
    const other = (
      await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "other" } })
    ).json<CreatedRun>();
    expect((await ingest("run_missing", "hello", t.token)).statusCode).toBe(404);
    expect((await ingest(run.id, "hello", "sgr_wrong")).statusCode).toBe(401);
    expect((await ingest(run.id, "hello", other.ingestToken)).statusCode).toBe(401);
    const none = await t.app.http.inject({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      payload: "x",
      headers: { "content-type": "text/plain" },
    });
    expect(none.statusCode).toBe(401);
    const huge = await ingest(run.id, "x".repeat(11 * 1024 * 1024), run.ingestToken);
    expect(huge.statusCode).toBe(413);
    const tooMany = await ingest(run.id, Array.from({ length: 10_001 }, (_, i) => `line ${i}`).join("\n"), run.ingestToken);
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json()).toMatchObject({ error: { code: "payload_too_large" } });
    // An API token with the developer role may send too.
    expect((await ingest(run.id, "from the admin token", t.token)).statusCode).toBe(200);
  });

  it("streams the log over SSE and ends when asked not to follow", async () => {
    const address = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    const res = await fetch(`${address}/api/v1/runs/${run.id}/logs/tail?follow=false&node=w1`, {
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    const records = [...text.matchAll(/event: record\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1] ?? "{}") as LogRecord);
    expect(records.map((r) => r.msg)).toEqual([
      "worker 1 starting",
      "CUDA out of memory on device 0 at 0x7f3a2b\nTraceback...",
      "same second A",
    ]);
    expect(text).toMatch(/event: end\ndata: \{"status":"running"\}/);
  });
});
