import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb } from "../../../test/helpers/db.ts";
import type { Db } from "../../db/connect.ts";
import { down, up } from "../../db/migrations/0019_runs_perf.ts";
import * as ftsWithoutSizes from "../../db/migrations/0021_runs_fts.ts";
import { createFtsIndexer } from "./logs.fts.ts";
import { insertLogs, queryLogs } from "./logs.store.ts";
import type { LogRecordInput } from "./runs.types.ts";

const record = (msg: string, i: number): LogRecordInput => ({
  ts: 1_700_000_000_000 + i,
  node: `w${i % 3}`,
  level: "info",
  severity: 9,
  msg,
  attrs: null,
  traceId: null,
  spanId: null,
  flags: 0,
});

describe("the SQLite full-text index of run logs, built after ingest (0019_runs_perf)", () => {
  let db: Db;
  const raw = () => db.kysely as unknown as Kysely<unknown>;
  const hasState = async () =>
    Number(
      (await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'run_logs_fts_state'`.execute(raw())).rows[0]
        ?.n,
    ) > 0;
  const matches = async (word: string) =>
    Number(
      (await sql<{ n: number }>`select count(*) as n from run_logs_fts where run_logs_fts match ${word}`.execute(raw())).rows[0]
        ?.n,
    );
  /** FTS5's own check, comparing the index with run_logs: throws on any entry too many or missing. */
  const checkIndex = () => sql`insert into run_logs_fts (run_logs_fts, rank) values ('integrity-check', 1)`.execute(raw());
  const ingest = (runId: string, word: string, n: number, indexInline = false) =>
    db.kysely.transaction().execute((tx) =>
      insertLogs(tx, {
        dialect: "sqlite",
        runId,
        records: Array.from({ length: n }, (_, i) => record(`${word} number ${i}`, i)),
        indexInline,
      }),
    );

  beforeAll(async () => {
    db = await testDb("sqlite");
    // Until the migration list names 0019, this file applies it itself.
    if (!(await hasState())) await up(raw());
    const at = new Date().toISOString();
    await sql`insert into projects (id, slug, name, created_at, updated_at) values ('prj_f', 'f', 'F', ${at}, ${at})`.execute(
      raw(),
    );
    for (const id of ["run_1", "run_2", "run_3"]) {
      await sql`insert into runs (id, project_id, name, status, ingest_token_hash, created_at, updated_at)
        values (${id}, 'prj_f', 'job', 'running', ${id}, ${at}, ${at})`.execute(raw());
    }
  });
  afterAll(() => db.close());

  it("indexes nothing in the ingest transaction, then everything on catch-up, in chunks", async () => {
    const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite", chunkRows: 40, delayMs: 60_000 });
    expect(await indexer.indexesInline()).toBe(false);
    await ingest("run_1", "alpha", 100);
    await ingest("run_2", "beta", 30);
    expect(await matches("alpha")).toBe(0);
    await indexer.catchUp();
    expect(await matches("alpha")).toBe(100);
    expect(await matches("beta")).toBe(30);
    expect(await matches("number")).toBe(130);
    await checkIndex();
  });

  it("deletes indexed records from the index and leaves records it never indexed alone", async () => {
    const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite", delayMs: 60_000 });
    await ingest("run_3", "gamma", 20);
    // run_1 is indexed, run_3 is not yet: deleting both must leave a sound index.
    await sql`delete from runs where id in ('run_1', 'run_3')`.execute(raw());
    expect(await matches("alpha")).toBe(0);
    await indexer.catchUp();
    expect(await matches("gamma")).toBe(0);
    expect(await matches("beta")).toBe(30);
    await checkIndex();
  });

  it("runs by itself shortly after it is told records arrived", async () => {
    const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite", delayMs: 10 });
    await ingest("run_2", "delta", 15);
    indexer.schedule();
    await expect.poll(() => matches("delta")).toBe(15);
    await checkIndex();
  });

  it("waits for a pause in ingest, but not longer than its longest delay", async () => {
    const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite", delayMs: 80, maxDelayMs: 200 });
    await ingest("run_2", "theta", 5);
    const started = Date.now();
    let indexedAfter: number | undefined;
    // Batches every 20 ms: never the 80 ms pause.
    while (Date.now() - started < 600 && indexedAfter === undefined) {
      indexer.schedule();
      await new Promise((r) => setTimeout(r, 20));
      if ((await matches("theta")) === 5) indexedAfter = Date.now() - started;
    }
    expect(indexedAfter).toBeGreaterThanOrEqual(150);
    expect(indexedAfter).toBeLessThan(500);
    indexer.stop();
  });

  it("counts its longest delay again after a catch-up, which indexed what the delay was for", async () => {
    const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite", delayMs: 150, maxDelayMs: 400 });
    await ingest("run_2", "iota", 3);
    const started = Date.now();
    while (Date.now() - started < 250) {
      indexer.schedule(); // batches every 20 ms: never the 150 ms pause
      await new Promise((r) => setTimeout(r, 20));
    }
    await indexer.catchUp(); // a search
    const caughtUp = Date.now();
    await ingest("run_2", "kappa", 4);
    let indexedAfter: number | undefined;
    // The first batch's 400 ms would end about 150 ms after the search.
    while (Date.now() - caughtUp < 1500 && indexedAfter === undefined) {
      indexer.schedule();
      await new Promise((r) => setTimeout(r, 20));
      if ((await matches("kappa")) === 4) indexedAfter = Date.now() - caughtUp;
    }
    expect(indexedAfter).toBeGreaterThanOrEqual(250);
    indexer.stop();
    await checkIndex();
  });

  it("keeps what it indexed when 0021 rebuilds it without per-record sizes, and back", async () => {
    const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite", delayMs: 60_000 });
    const definition = async () =>
      (await sql<{ sql: string }>`select sql from sqlite_master where name = 'run_logs_fts'`.execute(raw())).rows[0]?.sql;
    await ingest("run_2", "lambda", 10);
    await indexer.catchUp();
    await ingest("run_2", "mu", 5); // above the watermark: not in the index yet
    for (const step of [ftsWithoutSizes.down, ftsWithoutSizes.up]) {
      await step(raw());
      expect(await matches("lambda")).toBe(10);
      expect(await matches("mu")).toBe(0);
    }
    expect(await definition()).toMatch(/columnsize=0/);
    await indexer.catchUp();
    expect(await matches("mu")).toBe(5);
    await checkIndex();
    await sql`delete from run_logs where msg like 'lambda%'`.execute(raw());
    expect(await matches("lambda")).toBe(0);
    await checkIndex();
  });

  it("finds the same records of one run whether the word is rare or in more records than it reads by id", async () => {
    const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite", delayMs: 60_000 });
    await ingest("run_2", "omega", 10_050);
    await ingest("run_1", "omega", 30);
    await ingest("run_2", "omega rarezeta", 7);
    await indexer.catchUp();
    const search = async (q: string, extra: { nodes?: string[]; order?: "asc" | "desc" } = {}) =>
      (await queryLogs(db.kysely, "sqlite", { runId: "run_2", q, order: "asc", limit: 4, ...extra })).map((r) => r.msg);
    // 10,087 hits in all: the run's rows are walked in time order; 7 hits: read by id. Both stay within the run.
    expect(await search("omega")).toEqual([
      "omega number 0",
      "omega rarezeta number 0",
      "omega number 1",
      "omega rarezeta number 1",
    ]);
    expect(await search("rarezeta", { order: "desc" })).toEqual([6, 5, 4, 3].map((i) => `omega rarezeta number ${i}`));
    expect(await search("omega rarezeta", { nodes: ["w1"] })).toEqual(["omega rarezeta number 1", "omega rarezeta number 4"]);
    expect(await search("omega", { nodes: ["w1"], order: "desc" })).toEqual([
      "omega number 10048",
      "omega number 10045",
      "omega number 10042",
      "omega number 10039",
    ]);
  });

  it("on a database without the watermark, indexes in the ingest transaction as before", async () => {
    await down(raw());
    try {
      const indexer = createFtsIndexer({ db: db.kysely, dialect: "sqlite" });
      expect(await indexer.indexesInline()).toBe(true);
      await ingest("run_2", "epsilon", 12, true);
      expect(await matches("epsilon")).toBe(12);
      await checkIndex();
    } finally {
      await up(raw());
    }
  });
});
