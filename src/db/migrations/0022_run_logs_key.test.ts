import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb, testDialects } from "../../../test/helpers/db.ts";
import { createFtsIndexer } from "../../features/runs/logs.fts.ts";
import { countLogs, insertLogs, queryLogs } from "../../features/runs/logs.store.ts";
import type { Db } from "../connect.ts";
import { down, up } from "./0022_run_logs_key.ts";

describe.each(testDialects())("migration 0022_run_logs_key on %s", (dialect) => {
  let db: Db;
  const raw = () => db.kysely as unknown as Kysely<unknown>;
  const at = new Date().toISOString();
  const addRun = (id: string) =>
    sql`insert into runs (id, project_id, name, status, ingest_token_hash, created_at, updated_at)
      values (${id}, 'prj_k', 'job', 'running', ${`h_${id}`}, ${at}, ${at})`.execute(raw());
  const ids = async () =>
    (await sql<{ id: number }>`select id from run_logs order by id`.execute(raw())).rows.map((r) => Number(r.id));
  /** FTS5's own check of the external-content index against run_logs (SQLite only), after indexing what ingest left. */
  const checkFts = async () => {
    if (dialect !== "sqlite") return;
    await createFtsIndexer({ db: db.kysely, dialect, delayMs: 60_000 }).catchUp();
    await sql`insert into run_logs_fts (run_logs_fts, rank) values ('integrity-check', 1)`.execute(raw());
  };
  const search = async (runId: string, q: string) =>
    (await queryLogs(db.kysely, dialect, { runId, q, order: "asc", limit: 100 })).map((r) => r.msg);

  beforeAll(async () => {
    db = await testDb(dialect);
    await sql`insert into projects (id, slug, name, created_at, updated_at) values ('prj_k', 'k', 'K', ${at}, ${at})`.execute(
      raw(),
    );
  });
  afterAll(() => db.close());

  it("moves records from run ids to run keys, keeping ids, the full-text index and the id counter", async () => {
    await down(raw());
    await addRun("run_a");
    await addRun("run_b");
    for (const [run, msg] of [
      ["run_a", "alpha one"],
      ["run_b", "beta two"],
      ["run_a", "alpha three"],
      ["run_b", "beta four"],
      ["run_a", "alpha tail"],
    ] as const) {
      await sql`insert into run_logs (run_id, ts, node, level, severity, msg, flags)
        values (${run}, 1, 'w1', 'info', 9, ${msg}, 0)`.execute(raw());
    }
    if (dialect === "sqlite") {
      // Everything indexed; then the newest record is deleted: the counter is above every id left.
      await sql`insert into run_logs_fts (rowid, msg) select id, msg from run_logs`.execute(raw());
      await sql`update run_logs_fts_state set indexed_upto = (select max(id) from run_logs)`.execute(raw());
    }
    const before = await ids();
    await sql`delete from run_logs where msg = 'alpha tail'`.execute(raw());

    await up(raw());

    expect(await ids()).toEqual(before.slice(0, 4));
    expect(await countLogs(db.kysely, "run_a")).toBe(2);
    expect(await countLogs(db.kysely, "run_b")).toBe(2);
    expect(await search("run_a", "alpha")).toEqual(["alpha one", "alpha three"]);
    expect(await search("run_b", "alpha")).toEqual([]);
    await checkFts();

    // A new run gets a key of its own; new records get ids above every id ever given.
    await addRun("run_c");
    const keys = await sql<{ id: string; log_key: number }>`select id, log_key from runs order by id`.execute(raw());
    expect(new Set(keys.rows.map((r) => Number(r.log_key))).size).toBe(3);
    await db.kysely.transaction().execute((tx) =>
      insertLogs(tx, {
        dialect,
        runId: "run_c",
        records: [
          { ts: 2, node: "w1", level: "info", severity: 9, msg: "gamma", attrs: null, traceId: null, spanId: null, flags: 0 },
        ],
        indexInline: false,
      }),
    );
    expect(Math.min(...(await ids()).slice(4))).toBeGreaterThan(Math.max(...before));
    expect(await countLogs(db.kysely, "run_c")).toBe(1);

    // A deleted run's records go with it (trigger on SQLite, foreign key on PostgreSQL), out of the index too.
    await sql`delete from runs where id = 'run_a'`.execute(raw());
    expect(await countLogs(db.kysely, "run_a")).toBe(0);
    expect(Number((await sql<{ n: number }>`select count(*) as n from run_logs`.execute(raw())).rows[0]?.n)).toBe(3);
    await checkFts();
  });

  it("goes back down to run ids and up again with the same records", async () => {
    const before = await sql`select id, ts, node, msg from run_logs order by id`.execute(raw());
    await down(raw());
    const named = await sql<{ run_id: string }>`select run_id from run_logs order by id`.execute(raw());
    expect(named.rows.map((r) => r.run_id)).toEqual(["run_b", "run_b", "run_c"]);
    await checkFts();
    await up(raw());
    expect((await sql`select id, ts, node, msg from run_logs order by id`.execute(raw())).rows).toEqual(before.rows);
    expect(await countLogs(db.kysely, "run_b")).toBe(2);
    expect(await search("run_b", "beta")).toEqual(["beta two", "beta four"]);
    await checkFts();
  });
});
