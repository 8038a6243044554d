import { type Kysely, SqliteAdapter, sql } from "kysely";

/**
 * SQLite only: the run-log FTS5 index without its per-record size table (`columnsize=0`). FTS5 keeps the token count of
 * every record in `run_logs_fts_docsize`, one more b-tree row per record, for ranking (bm25) and auxiliary functions;
 * searches here only ask which records match all words (logs.store.ts), so it was written and never read. Indexing a
 * 20k-record chunk costs about a third less CPU without it. `detail` stays `full`: a query word FTS5 splits in two
 * (`foo_bar`, `foo.bar`) is a phrase, which needs token positions.
 * The table is rebuilt with the records the old one held: those up to the watermark of 0019_runs_perf (the indexer
 * adds the rest later), and the delete trigger is created again because it names the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, ", columnsize=0");
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rebuild(db, "");
}

async function rebuild(db: Kysely<unknown>, options: string): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`drop trigger if exists run_logs_fts_delete`.execute(db);
  await sql`drop table if exists run_logs_fts`.execute(db);
  await sql`create virtual table run_logs_fts using fts5(msg, content='run_logs', content_rowid='id'${sql.raw(options)})`.execute(
    db,
  );
  await sql`insert into run_logs_fts (rowid, msg) select id, msg from run_logs
    where id <= (select indexed_upto from run_logs_fts_state where id = 1)`.execute(db);
  await sql`create trigger run_logs_fts_delete after delete on run_logs
    when old.id <= (select indexed_upto from run_logs_fts_state where id = 1) begin
      insert into run_logs_fts (run_logs_fts, rowid, msg) values ('delete', old.id, old.msg); end`.execute(db);
}
