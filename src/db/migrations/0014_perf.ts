import { type Kysely, SqliteAdapter, sql } from "kysely";

/** Same chunking as `reports.store.ts` `nameChunk`, inlined so the migration never changes with the code. */
const CHUNK = 400;
const clean = (text: string | null): string => (text ?? "").toLowerCase().replace(/[\t\n\r]/g, " ");

/**
 * Report page performance:
 * - `report_runs.view_json`: the run page's failures, flaky, slowest and base comparison, computed once at completion.
 * - `run_coverage.source_file_id/source_seq`: a path that occurs once in a run points at its coverage_files row instead
 *   of a second copy of its line data (tens of MB for a big LCOV file, written again at completion).
 * - `test_case_names`: the name search index (see schema.reports-perf.ts), backfilled for runs stored before it.
 * - `test_cases_file_status_idx`: status-filtered pages seek per file in `seq` order; it also covers the counts, the
 *   slowest and the test keys of a run, so completion reads an index instead of every row's messages and stacks.
 * - `test_cases_run_duration_idx` goes: the slowest tests are stored with the run, and the index cost ~1.5 s per 200k
 *   cases ingested (random order within a run).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("report_runs").addColumn("view_json", "text").execute();
  await db.schema.alterTable("run_coverage").addColumn("source_file_id", "text").execute();
  await db.schema.alterTable("run_coverage").addColumn("source_seq", "integer").execute();
  await db.schema
    .createTable("test_case_names")
    .addColumn("file_id", "text", (c) => c.notNull().references("report_files.id").onDelete("cascade"))
    .addColumn("first_seq", "integer", (c) => c.notNull())
    .addColumn("last_seq", "integer", (c) => c.notNull())
    .addColumn("names", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("test_case_names_pk", ["file_id", "first_seq"])
    .execute();
  await searchIndex(db);
  await db.schema
    .createIndex("test_cases_file_status_idx")
    .on("test_cases")
    .columns(["file_id", "status", "seq", "test_key", "duration_ms"])
    .execute();
  await db.schema.dropIndex("test_cases_run_duration_idx").ifExists().execute();
  await backfillNames(db);
}

/**
 * A trigram index over the name chunks, so a substring search reads only the chunks that can contain it. SQLite: an FTS5
 * trigram table (detail=none: it only has to say which chunks hold every trigram of the query) kept in step by triggers,
 * so deletes by cascade reach it too. PostgreSQL: pg_trgm's GIN index serves `names LIKE '%…%'` directly, when the
 * extension can be created; without it the search still works as a scan of the chunks.
 */
async function searchIndex(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`create virtual table test_case_names_fts using fts5(
      names, tokenize = 'trigram', content = 'test_case_names', content_rowid = 'rowid', detail = 'none')`.execute(db);
    await sql`create trigger test_case_names_fts_insert after insert on test_case_names begin
      insert into test_case_names_fts (rowid, names) values (new.rowid, new.names); end`.execute(db);
    await sql`create trigger test_case_names_fts_delete after delete on test_case_names begin
      insert into test_case_names_fts (test_case_names_fts, rowid, names) values ('delete', old.rowid, old.names); end`.execute(
      db,
    );
    return;
  }
  await sql`do $$ begin create extension if not exists pg_trgm; exception when others then null; end $$`.execute(db);
  await sql`do $$ begin
    if exists (select 1 from pg_extension where extname = 'pg_trgm') then
      create index test_case_names_trgm_idx on test_case_names using gin (names gin_trgm_ops);
    end if; end $$`.execute(db);
}

async function backfillNames(db: Kysely<unknown>): Promise<void> {
  const files = await sql<{ id: string }>`select id from report_files`.execute(db);
  for (const { id } of files.rows) {
    const cases = await sql<{ seq: number; classname: string | null; name: string }>`
      select seq, classname, name from test_cases where file_id = ${id} order by seq`.execute(db);
    for (let i = 0; i < cases.rows.length; i += CHUNK) {
      const chunk = cases.rows.slice(i, i + CHUNK);
      const first = chunk[0];
      const last = chunk[chunk.length - 1];
      if (!first || !last) continue;
      // Seqs of a file are consecutive from 0, so line i of a chunk is case first_seq + i.
      const names = chunk.map((c) => `${clean(c.classname)}\t${clean(c.name)}`).join("\n");
      await sql`insert into test_case_names (file_id, first_seq, last_seq, names)
        values (${id}, ${first.seq}, ${last.seq}, ${names})`.execute(db);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`drop trigger if exists test_case_names_fts_insert`.execute(db);
    await sql`drop trigger if exists test_case_names_fts_delete`.execute(db);
    await sql`drop table if exists test_case_names_fts`.execute(db);
  }
  await db.schema.createIndex("test_cases_run_duration_idx").on("test_cases").columns(["run_id", "duration_ms"]).execute();
  await db.schema.dropIndex("test_cases_file_status_idx").ifExists().execute();
  await db.schema.dropTable("test_case_names").ifExists().execute();
  await db.schema.alterTable("report_runs").dropColumn("view_json").execute();
  await db.schema.alterTable("run_coverage").dropColumn("source_seq").execute();
  await db.schema.alterTable("run_coverage").dropColumn("source_file_id").execute();
}
