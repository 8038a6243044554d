import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../test/helpers/app.ts";
import { ApiError } from "./errors.ts";
import { paginate } from "./paginate.ts";
import { RunsClient } from "./runs.ts";

describe("RunsClient against a real server", () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp("sqlite", { RUNS_INGEST_RATE_LIMIT: "5" });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/ml/config",
      payload: 'environments:\n  - name: stg\n    executor: { type: shell, config: { command: ["true"] } }\n',
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    baseUrl = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => t.close());

  it("creates a run, sends logs with its ingest token, reads them merged and tails them to the run's end", async () => {
    const admin = new RunsClient({ baseUrl, token: t.token });
    const run = await admin.createRun("ml", { name: "train", environment: "stg", attributes: { gpus: "8" } });
    expect(run).toMatchObject({ project: "ml", name: "train", status: "running" });
    const worker = new RunsClient({ baseUrl, token: run.ingestToken ?? "" });
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    const lines = [
      JSON.stringify({ msg: "w2 second", node: "w2", ts: at(2) }),
      JSON.stringify({ msg: "w1 first", node: "w1", ts: at(1) }),
      "not json",
    ];
    expect(await worker.pushLogs(run.id, lines.join("\n"))).toMatchObject({ accepted: 3, rejected: 0 });

    const page = await admin.logs(run.id, { order: "asc" });
    expect(page.items.map((r) => [r.node, r.msg])).toEqual([
      ["w1", "w1 first"],
      ["w2", "w2 second"],
      ["default", "not json"],
    ]);
    expect((await admin.logs(run.id, { node: "w2" })).items).toHaveLength(1);
    await admin.endRun(run.id, "succeeded");
    const tailed = [];
    for await (const record of admin.tail(run.id, { follow: true })) tailed.push(record.msg);
    expect(tailed).toEqual(["w1 first", "w2 second", "not json"]);
  });

  it("lets a worker end its run with the run's ingest token, lists runs page by page and reads the run's summary", async () => {
    const admin = new RunsClient({ baseUrl, token: t.token });
    const first = await admin.createRun("ml", { name: "paged", environment: "stg" });
    const run = await admin.createRun("ml", { name: "paged", environment: "stg" });
    const worker = new RunsClient({ baseUrl, token: run.ingestToken ?? "" });
    await worker.pushLogs(run.id, JSON.stringify({ node: "w1", level: "error", msg: "disk full on /mnt/1" }));
    const ended = await worker.endRun(run.id, "failed");
    expect(ended).toMatchObject({ id: run.id, status: "failed", environment: "stg" });
    await expect(worker.endRun(first.id, "succeeded")).rejects.toMatchObject({ status: 401 });

    const page = await admin.listRuns("ml", { name: "paged", limit: 1 });
    expect(page.items.map((r) => r.id)).toEqual([run.id]);
    expect(page.nextCursor).not.toBeNull();
    const ids: string[] = [];
    for await (const r of paginate((p) => admin.listRuns("ml", { name: "paged", ...p }), { pageSize: 1 })) ids.push(r.id);
    expect(ids).toEqual([run.id, first.id]);
    expect((await admin.listRuns("ml", { status: "failed" })).items.map((r) => r.id)).toEqual([run.id]);

    const summary = await admin.summary(run.id);
    expect(summary.run).toMatchObject({ id: run.id, status: "failed" });
    expect(summary.topErrors.map((e) => [e.count, e.nodes])).toEqual([[1, ["w1"]]]);
    expect(await admin.alerts(run.id)).toEqual(summary.alerts);
  });

  it("surfaces the server's refusals as ApiError: 429 rate_limited for a token over its rate, 404 for no run", async () => {
    const admin = new RunsClient({ baseUrl, token: t.token });
    const run = await admin.createRun("ml", { name: "flood" });
    const worker = new RunsClient({ baseUrl, token: run.ingestToken ?? "" });
    const answers = await Promise.allSettled(Array.from({ length: 8 }, () => worker.pushLogs(run.id, '{"msg":"x"}')));
    const refused = answers.filter((a) => a.status === "rejected").map((a) => (a as PromiseRejectedResult).reason);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toBeInstanceOf(ApiError);
    expect(refused[0]).toMatchObject({ status: 429, code: "rate_limited" });
    await expect(admin.getRun("run_missing")).rejects.toMatchObject({ status: 404 });
  });
});
