import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb, testDialects } from "../../../test/helpers/db.ts";
import type { Db } from "../connect.ts";
import { down, up } from "./0016_runs_retention.ts";
import * as runLogsKey from "./0022_run_logs_key.ts";

describe.each(testDialects())("migration 0016_runs_retention on %s", (dialect) => {
  let db: Db;
  const raw = () => db.kysely as unknown as Kysely<unknown>;
  const count = async (table: string, runId: string) => {
    const rows = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where run_id = ${runId}`.execute(raw());
    return Number(rows.rows[0]?.n);
  };

  beforeAll(async () => {
    db = await testDb(dialect);
  });
  afterAll(() => db.close());

  it("on a database with runs from before: drops orphaned records, backfills node bytes, then cascades run deletes", async () => {
    // Back to run_logs.run_id (0022 names runs by key), then to before 0016.
    await runLogsKey.down(raw());
    await down(raw());
    const at = new Date().toISOString();
    const project = "prj_m";
    await sql`insert into projects (id, slug, name, created_at, updated_at) values (${project}, 'm', 'M', ${at}, ${at})`.execute(
      raw(),
    );
    await sql`insert into runs (id, project_id, name, status, ingest_token_hash, created_at, updated_at)
      values ('run_a', ${project}, 'job', 'running', 'h1', ${at}, ${at})`.execute(raw());
    for (const [run, msg, attrs] of [
      ["run_a", "hello", null],
      ["run_a", "world!", '{"k":1}'],
      ["run_gone", "orphan", null],
    ] as const) {
      await sql`insert into run_logs (run_id, ts, node, level, severity, msg, attrs_json, flags)
        values (${run}, 1, 'w1', 'info', 9, ${msg}, ${attrs}, 0)`.execute(raw());
    }
    if (dialect === "sqlite") {
      await sql`insert into run_logs_fts (rowid, msg) select id, msg from run_logs`.execute(raw());
    }
    for (const run of ["run_a", "run_gone"]) {
      await sql`insert into run_nodes (run_id, node, first_ts, last_ts, last_seen_at, records, debug, info, warn, error, fatal)
        values (${run}, 'w1', 1, 1, 1, 2, 0, 2, 0, 0, 0)`.execute(raw());
    }

    await up(raw());

    expect(await count("run_logs", "run_gone")).toBe(0);
    expect(await count("run_nodes", "run_gone")).toBe(0);
    const node = await sql<{ bytes: number }>`select bytes from run_nodes where run_id = 'run_a'`.execute(raw());
    expect(Number(node.rows[0]?.bytes)).toBe("hello".length + "world!".length + '{"k":1}'.length + 2 * 64);

    await sql`delete from runs where id = 'run_a'`.execute(raw());
    expect(await count("run_logs", "run_a")).toBe(0);
    expect(await count("run_nodes", "run_a")).toBe(0);
    if (dialect === "sqlite") {
      // The orphan's and the deleted run's entries left the full-text index with their rows.
      const fts = await sql<{
        n: number;
      }>`select count(*) as n from run_logs_fts where run_logs_fts match 'hello OR orphan'`.execute(raw());
      expect(Number(fts.rows[0]?.n)).toBe(0);
    } else {
      const fks = await sql<{ n: number }>`select count(*) as n from pg_constraint
        where contype = 'f' and conname like 'run\\_%\\_run\\_fk' and convalidated`.execute(raw());
      expect(Number(fks.rows[0]?.n)).toBe(5);
    }
  });
});
