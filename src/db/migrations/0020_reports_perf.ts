import { type Kysely, SqliteAdapter, sql } from "kysely";

/**
 * Test keys leave the hot insert path. `test_cases_key_idx (test_key, run_id)` took a random insert per stored case into
 * an index of every run ever stored: ~1 dirty page per case in each commit (5 MB of WAL per 1,200 cases) and 40–60% of
 * the ingest's CPU, growing with the history. In its place, `test_case_keys` holds a completed run's keys in
 * `(run_id, test_key)` order, written once by `complete()` in that order (appends). Completed runs are backfilled here.
 * SQLite keeps the rows in the primary key's b-tree (WITHOUT ROWID): one tree, no second copy of the key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema
    .createTable("test_case_keys")
    .addColumn("run_id", "text", (c) => c.notNull().references("report_runs.id").onDelete("cascade"))
    .addColumn("test_key", "text", (c) => c.notNull())
    .addColumn("file_id", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("test_case_keys_pk", ["run_id", "test_key", "file_id", "seq"])
    .$call((table) => (sqlite ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  await sql`insert into test_case_keys (run_id, test_key, file_id, seq, status)
    select c.run_id, c.test_key, c.file_id, c.seq, c.status
    from report_runs r
    join report_files f on f.run_id = r.id and f.status = 'stored'
    join test_cases c on c.file_id = f.id
    where r.status = 'complete'
    order by c.run_id, c.test_key, c.file_id, c.seq`.execute(db);
  await db.schema.dropIndex("test_cases_key_idx").ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("test_cases_key_idx").on("test_cases").columns(["test_key", "run_id"]).execute();
  await db.schema.dropTable("test_case_keys").ifExists().execute();
}
