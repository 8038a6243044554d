import { type Kysely, SqliteAdapter, sql } from "kysely";

/** Tables holding a run's records, keyed by `run_id` (run_alerts already has its foreign key since 0011). */
const CHILDREN = ["run_logs", "run_metrics", "run_nodes", "run_error_groups", "run_error_nodes"] as const;
/** Per-record overhead counted next to message and attributes; keep equal to `RECORD_OVERHEAD_BYTES` in logs.store.ts. */
const OVERHEAD = 64;

/**
 * Run retention:
 * - `run_nodes.bytes`: an estimate of the stored size of each node's log records (message + attributes + a fixed overhead),
 *   kept at ingest in the row ingest already updates, so the per-project byte limit needs no scan. Backfilled here.
 * - `runs.purged_at`: when retention deleted the run's records (the run row, node counts, errors and alerts stay).
 * - A run's records go with the run. PostgreSQL: foreign keys with ON DELETE CASCADE (the migration's transaction holds
 *   writes to these tables while existing rows are checked: one scan of run_logs). SQLite cannot add a foreign key
 *   without rebuilding the table (a copy of every log record and its indexes, and the FTS5 index's rowids with them);
 *   triggers give the same cascade without that: deleting a run deletes its records, and deleting a log record deletes
 *   its entry from the external-content FTS5 index, which SQLite does not do by itself. What triggers cannot refuse, a
 *   record for a run that does not exist, the insert itself refuses (`insertLogs` inserts only while the run exists).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema.alterTable("runs").addColumn("purged_at", "text").execute();
  await db.schema
    .alterTable("run_nodes")
    .addColumn("bytes", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  if (sqlite) {
    await sql`create trigger run_logs_fts_delete after delete on run_logs begin
      insert into run_logs_fts (run_logs_fts, rowid, msg) values ('delete', old.id, old.msg); end`.execute(db);
    await sql`create trigger runs_delete_records after delete on runs begin
      delete from run_logs where run_id = old.id;
      delete from run_metrics where run_id = old.id;
      delete from run_nodes where run_id = old.id;
      delete from run_error_groups where run_id = old.id;
      delete from run_error_nodes where run_id = old.id;
    end`.execute(db);
  }
  // Records of runs that no longer exist (possible before this migration) would fail the foreign key.
  for (const table of CHILDREN) {
    await sql`delete from ${sql.table(table)} where run_id not in (select id from runs)`.execute(db);
  }
  if (!sqlite) {
    for (const table of CHILDREN) {
      const constraint = sql.id(`${table}_run_fk`);
      await sql`alter table ${sql.table(table)} add constraint ${constraint}
        foreign key (run_id) references runs (id) on delete cascade`.execute(db);
    }
  }
  await sql`update run_nodes set bytes = coalesce((
      select sum(length(l.msg) + coalesce(length(l.attrs_json), 0) + ${sql.lit(OVERHEAD)})
      from run_logs l where l.run_id = run_nodes.run_id and l.node = run_nodes.node), 0)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  if (sqlite) {
    await sql`drop trigger if exists runs_delete_records`.execute(db);
    await sql`drop trigger if exists run_logs_fts_delete`.execute(db);
  } else {
    for (const table of CHILDREN) {
      await sql`alter table ${sql.table(table)} drop constraint if exists ${sql.id(`${table}_run_fk`)}`.execute(db);
    }
  }
  await db.schema.alterTable("run_nodes").dropColumn("bytes").execute();
  await db.schema.alterTable("runs").dropColumn("purged_at").execute();
}
