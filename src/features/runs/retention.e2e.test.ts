import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { systemClock } from "../../shared/clock.ts";
import { countLogs, RECORD_OVERHEAD_BYTES } from "./logs.store.ts";
import { createRetention } from "./retention.service.ts";
import type { CreatedRun } from "./runs.types.ts";

const DAY = 86_400_000;

describe.each(testDialects())("run retention on %s", (dialect) => {
  let t: TestApp;
  /** Ended 6 days ago: kept by the age limit, the oldest ended run for the byte limit. */
  let recent: CreatedRun;
  const kysely = () => t.db.kysely;

  const applyConfig = async (retention: string) => {
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml({ extra: `runs:\n  retention: ${retention}\n` }),
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const createRun = async (name: string) => {
    const res = await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedRun>();
  };
  const ingest = async (run: CreatedRun, lines: string[]) => {
    const res = await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/logs`,
      payload: lines.join("\n"),
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "application/x-ndjson" },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const records = (word: string, n: number, node = "w1") =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ level: "info", msg: `${word} record ${i}`, node, i }));
  const pushMetrics = async (run: CreatedRun) => {
    const res = await t.request({
      method: "POST",
      url: `/api/v1/runs/${run.id}/metrics/prometheus?node=w1`,
      payload: 'DCGM_FI_DEV_GPU_UTIL{gpu="0"} 42\nnode_memory_MemAvailable_bytes 1e9\n',
      headers: { authorization: `Bearer ${run.ingestToken}`, "content-type": "text/plain" },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const endRun = async (run: CreatedRun, daysAgo = 0) => {
    expect(
      (await t.request({ method: "POST", url: `/api/v1/runs/${run.id}/end`, payload: { status: "succeeded" } })).statusCode,
    ).toBe(200);
    // Only time can make a run old: the test moves its end back instead of waiting days.
    const at = new Date(Date.now() - daysAgo * DAY).toISOString();
    await kysely().updateTable("runs").set({ ended_at: at }).where("id", "=", run.id).execute();
  };
  const count = async (table: "run_logs" | "run_metrics" | "run_nodes", runId: string) => {
    if (table === "run_logs") return countLogs(kysely(), runId);
    const row = await kysely()
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("run_id", "=", runId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const search = async (runId: string, q: string) => {
    const res = await t.request({ method: "GET", url: `/api/v1/runs/${runId}/logs?q=${q}` });
    return res.json<{ items: unknown[] }>().items.length;
  };
  /** Entries of the SQLite full-text index for a word, whatever run_logs still holds (0 on PostgreSQL: no such table). */
  const ftsEntries = async (word: string) => {
    if (dialect !== "sqlite") return 0;
    const { sql } = await import("kysely");
    const rows = await sql<{ n: number }>`select count(*) as n from run_logs_fts where run_logs_fts match ${word}`.execute(
      kysely(),
    );
    return Number(rows.rows[0]?.n ?? 0);
  };
  const retention = (batchRows: number) =>
    createRetention({
      db: kysely(),
      dialect,
      clock: systemClock,
      logger: pino({ level: "silent" }),
      defaults: { days: 0, bytes: 0 },
      batchRows,
      pauseMs: 1,
    });

  beforeAll(async () => {
    t = await startTestApp(dialect, { RUNS_RETENTION_INTERVAL_MS: "150" });
    await applyConfig("{ days: 7, bytes: 0 }");
  });
  afterAll(() => t.close());

  it("is scheduled when the job runner starts, before any run exists (a database upgraded from before retention)", async () => {
    const scheduled = async () =>
      kysely()
        .selectFrom("jobs")
        .select("id")
        .where("key", "=", "runs:retention")
        .where("status", "in", ["pending", "running"])
        .execute();
    expect(await kysely().selectFrom("runs").select("id").execute()).toEqual([]);
    await expect.poll(async () => (await scheduled()).length, { timeout: 10_000 }).toBe(1);
  });

  it("deletes the logs and metrics of runs that ended more than `days` ago, on its own, and audits it", async () => {
    const old = await createRun("old");
    recent = await createRun("recent");
    const running = await createRun("running");
    await ingest(old, records("ancientword", 30));
    await pushMetrics(old);
    await ingest(recent, records("freshword", 10));
    await ingest(running, records("liveword", 10));
    // The full-text index follows ingest by itself (logs.fts.ts), shortly after.
    if (dialect === "sqlite") await expect.poll(() => ftsEntries("ancientword")).toBe(30);
    const samples = await count("run_metrics", old.id);
    expect(samples).toBeGreaterThan(0);
    await endRun(old, 8);
    await endRun(recent, 6);

    // The retention job (every 150 ms here) finds the old run by itself. It deletes in batches and marks the run purged
    // last: wait for that mark, not for the logs to be gone (the metrics and the byte count may still be on their way).
    const purged = async () =>
      (await kysely().selectFrom("runs").select("purged_at").where("id", "=", old.id).executeTakeFirstOrThrow()).purged_at;
    const until = Date.now() + 15_000;
    while ((await purged()) === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await count("run_logs", old.id)).toBe(0);
    expect(await count("run_metrics", old.id)).toBe(0);
    expect(await search(old.id, "ancientword")).toBe(0);
    expect(await ftsEntries("ancientword")).toBe(0);
    // The run and its counts stay: gates and comparisons refer to them.
    const summary = await kysely().selectFrom("run_nodes").selectAll().where("run_id", "=", old.id).executeTakeFirstOrThrow();
    expect(Number(summary.records)).toBe(30);
    expect(Number(summary.bytes)).toBe(0);
    const shown = await t.request({ method: "GET", url: `/api/v1/runs/${old.id}` });
    expect(shown.json<{ purgedAt: string | null }>().purgedAt).not.toBeNull();
    const kept = await t.request({ method: "GET", url: `/api/v1/runs/${recent.id}` });
    expect(kept.json<{ purgedAt: string | null }>().purgedAt).toBeNull();

    expect(await count("run_logs", recent.id)).toBe(10);
    expect(await count("run_logs", running.id)).toBe(10);
    expect(await search(recent.id, "freshword")).toBe(10);

    const audit = await t.request({ method: "GET", url: "/api/v1/audit?action=run.records_purged" });
    expect(audit.statusCode, audit.body).toBe(200);
    const events = audit.json<{ items: { subject: { id: string }; data: Record<string, unknown> }[] }>().items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subject: { id: old.id }, data: { reason: "age", logRecords: 30, metricSamples: samples } });
  });

  it("counts stored bytes per node and, over the project's byte limit, empties the oldest ended runs first", async () => {
    await applyConfig("{ days: 0 }");
    const runs = [];
    for (const name of ["b1", "b2", "b3"]) {
      const run = await createRun(name);
      await ingest(run, records(`${name}word`, 20));
      await endRun(run);
      runs.push(run);
      await new Promise((r) => setTimeout(r, 5));
    }
    const [b1, b2, b3] = runs as [CreatedRun, CreatedRun, CreatedRun];
    const expected = records("b1word", 20)
      .map((line) => {
        const { msg, i } = JSON.parse(line) as { msg: string; i: number };
        return msg.length + JSON.stringify({ i }).length + RECORD_OVERHEAD_BYTES;
      })
      .reduce((a, b) => a + b, 0);
    const stored = await kysely().selectFrom("run_nodes").select("bytes").where("run_id", "=", b1.id).executeTakeFirstOrThrow();
    expect(Number(stored.bytes)).toBe(expected);

    const project = await kysely().selectFrom("projects").select("id").where("slug", "=", "shop").executeTakeFirstOrThrow();
    const bytesOf = async (ids: string[]) => {
      const row = await kysely()
        .selectFrom("run_nodes")
        .select((eb) => eb.fn.sum<number>("bytes").as("n"))
        .where("run_id", "in", ids)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const running = await kysely().selectFrom("runs").select("id").where("name", "=", "running").executeTakeFirstOrThrow();
    // Room for b2, b3 and the running run (never emptied while it runs): the oldest ended runs go, `recent` then b1.
    const limit = (await bytesOf([b2.id, b3.id, running.id])) + 10;
    const purges = await retention(7).sweepProject(project.id, { days: 0, bytes: limit });
    expect(purges.map((p) => [p.runId, p.reason, p.logRecords])).toEqual([
      [recent.id, "bytes", 10],
      [b1.id, "bytes", 20],
    ]);
    expect(await count("run_logs", b1.id)).toBe(0);
    expect(await count("run_logs", b2.id)).toBe(20);
    expect(await count("run_logs", b3.id)).toBe(20);
    expect(await count("run_logs", running.id)).toBe(10);
    // Under the limit now: nothing more to do.
    expect(await retention(7).sweepProject(project.id, { days: 0, bytes: limit })).toEqual([]);
  });

  it("deletes in small batches, so ingest into another run goes on while a large run is emptied", async () => {
    const big = await createRun("big");
    for (let i = 0; i < 4; i++) await ingest(big, records(`big${i}`, 5000, `w${i}`));
    await endRun(big, 30);
    const other = await createRun("busy");
    const project = await kysely().selectFrom("projects").select("id").where("slug", "=", "shop").executeTakeFirstOrThrow();

    const finished: string[] = [];
    const sweeping = retention(500)
      .sweepProject(project.id, { days: 7, bytes: 0 })
      .then((purges) => {
        finished.push("retention");
        return purges;
      });
    await new Promise((r) => setTimeout(r, 5));
    await ingest(other, records("during", 100));
    finished.push("ingest");
    const purges = await sweeping;
    expect(purges.find((p) => p.runId === big.id)?.logRecords).toBe(20_000);
    expect(finished).toEqual(["ingest", "retention"]);
    expect(await count("run_logs", big.id)).toBe(0);
    expect(await count("run_logs", other.id)).toBe(100);
  });

  it("deletes a run's records with the run (foreign key on PostgreSQL, triggers on SQLite), full-text index included", async () => {
    const run = await createRun("doomed");
    await ingest(run, records("doomedword", 25));
    await pushMetrics(run);
    expect(await count("run_nodes", run.id)).toBe(1);
    await kysely().deleteFrom("runs").where("id", "=", run.id).execute();
    expect(await count("run_logs", run.id)).toBe(0);
    expect(await count("run_metrics", run.id)).toBe(0);
    expect(await count("run_nodes", run.id)).toBe(0);
    expect(await ftsEntries("doomedword")).toBe(0);
  });

  it("rejects a bad runs.retention in stagegate.yaml with the field named", async () => {
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml({ extra: "runs:\n  retention: { days: 7, bytes: lots }\n" }),
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain("runs");
  });
});
