import { type Kysely, SqliteAdapter, sql } from "kysely";

/**
 * SQLite only: the full-text index of run logs is built after the ingest transaction, not in it.
 * - `run_logs_fts_state.indexed_upto`: every run_logs id up to it is in run_logs_fts, none above it. Ids only grow
 *   (AUTOINCREMENT), so one number says what is indexed; the indexer (features/runs/logs.fts.ts) moves it forward.
 * - The delete trigger of 0016 removes a record from the external-content FTS5 index only if it was indexed: a 'delete'
 *   for a rowid the index never held corrupts it.
 * Existing records were indexed at ingest until now, so the watermark starts at the highest id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`create table run_logs_fts_state (
    id integer primary key check (id = 1),
    indexed_upto integer not null)`.execute(db);
  await sql`insert into run_logs_fts_state (id, indexed_upto) values (1, coalesce((select max(id) from run_logs), 0))`.execute(
    db,
  );
  await sql`drop trigger if exists run_logs_fts_delete`.execute(db);
  await sql`create trigger run_logs_fts_delete after delete on run_logs
    when old.id <= (select indexed_upto from run_logs_fts_state where id = 1) begin
      insert into run_logs_fts (run_logs_fts, rowid, msg) values ('delete', old.id, old.msg); end`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  // Before: everything stored is indexed.
  await sql`insert into run_logs_fts (rowid, msg) select id, msg from run_logs
    where id > (select indexed_upto from run_logs_fts_state where id = 1)`.execute(db);
  await sql`drop trigger if exists run_logs_fts_delete`.execute(db);
  await sql`create trigger run_logs_fts_delete after delete on run_logs begin
      insert into run_logs_fts (run_logs_fts, rowid, msg) values ('delete', old.id, old.msg); end`.execute(db);
  await sql`drop table run_logs_fts_state`.execute(db);
}
