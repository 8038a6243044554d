import { type Kysely, SqliteAdapter, sql } from "kysely";

/**
 * Log records name their run by an integer key instead of the run's 30-character text id.
 * - `runs.log_key`: unique per run. PostgreSQL: a `bigserial`. SQLite: set by the trigger `runs_log_key` on insert
 *   (one past the highest; a key freed by deleting the newest run may be given again, after its records went with it).
 * - `run_logs.run_key` replaces `run_logs.run_id`. The id was stored in every record and in both of its indexes, about
 *   40 % of the bytes written per record; an integer takes 1–4. Raw inserts of 10k records into SQLite with both
 *   indexes, text id → integer key: 56 → 44 ms median, 39 % fewer pages.
 * - SQLite indexes end at `ts`: every SQLite index ends with the rowid (`id`), so `order by ts, id` still reads them
 *   in order; PostgreSQL's name `id` explicitly.
 * SQLite cannot change a column's type, so run_logs is rebuilt, in one transaction, with the same ids: the full-text
 * index (external content, rowid = id) stays valid, and the AUTOINCREMENT counter is carried over so no id is given
 * twice (the indexer's watermark counts on ids only growing, see 0019_runs_perf). The triggers naming run_logs are
 * dropped and created again around the rebuild. Records of runs that no longer exist cannot be kept (there is no key
 * for them) and are deleted first, through the trigger that takes them out of the full-text index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await sql`alter table runs add column log_key bigserial not null`.execute(db);
    await sql`alter table runs add constraint runs_log_key_key unique (log_key)`.execute(db);
    await sql`alter table run_logs add column run_key bigint`.execute(db);
    await sql`update run_logs l set run_key = r.log_key from runs r where r.id = l.run_id`.execute(db);
    await sql`delete from run_logs where run_key is null`.execute(db);
    await sql`alter table run_logs alter column run_key set not null`.execute(db);
    // Dropping the column drops its indexes and foreign key (0011, 0016).
    await sql`alter table run_logs drop column run_id`.execute(db);
    await sql`alter table run_logs add constraint run_logs_run_fk
      foreign key (run_key) references runs (log_key) on delete cascade`.execute(db);
    await sql`create index run_logs_time_idx on run_logs (run_key, ts, id)`.execute(db);
    await sql`create index run_logs_node_idx on run_logs (run_key, node, ts, id)`.execute(db);
    return;
  }
  await db.transaction().execute(async (tx) => {
    // SQLite migrations run outside a transaction (Kysely): a crash after this commit and before the migration is
    // recorded must not make the next start fail on a column that exists.
    const done = await sql<{ n: number }>`select count(*) as n from pragma_table_info('runs') where name = 'log_key'`.execute(tx);
    if (Number(done.rows[0]?.n) > 0) return;
    await sql`alter table runs add column log_key integer`.execute(tx);
    await sql`update runs set log_key = rowid`.execute(tx);
    await sql`create unique index runs_log_key_idx on runs (log_key)`.execute(tx);
    await sql`create trigger runs_log_key after insert on runs when new.log_key is null begin
      update runs set log_key = (select coalesce(max(log_key), 0) + 1 from runs) where id = new.id; end`.execute(tx);
    await sql`delete from run_logs where run_id not in (select id from runs)`.execute(tx);
    await rebuildRunLogs(tx, {
      key: "run_key",
      type: "integer",
      select: sql`r.log_key`,
      join: sql`join runs r on r.id = l.run_id`,
      indexes: ["run_key, ts", "run_key, node, ts"],
      runMatch: sql`run_key = old.log_key`,
    });
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await sql`alter table run_logs add column run_id text`.execute(db);
    await sql`update run_logs l set run_id = r.id from runs r where r.log_key = l.run_key`.execute(db);
    await sql`alter table run_logs alter column run_id set not null`.execute(db);
    await sql`alter table run_logs drop column run_key`.execute(db);
    await sql`alter table run_logs add constraint run_logs_run_fk
      foreign key (run_id) references runs (id) on delete cascade`.execute(db);
    await sql`create index run_logs_time_idx on run_logs (run_id, ts, id)`.execute(db);
    await sql`create index run_logs_node_idx on run_logs (run_id, node, ts, id)`.execute(db);
    await sql`alter table runs drop column log_key`.execute(db);
    return;
  }
  await db.transaction().execute(async (tx) => {
    await rebuildRunLogs(tx, {
      key: "run_id",
      type: "text",
      select: sql`r.id`,
      join: sql`join runs r on r.log_key = l.run_key`,
      indexes: ["run_id, ts, id", "run_id, node, ts, id"],
      runMatch: sql`run_id = old.id`,
    });
    await sql`drop trigger runs_log_key`.execute(tx);
    await sql`drop index runs_log_key_idx`.execute(tx);
    await sql`alter table runs drop column log_key`.execute(tx);
  });
}

/** SQLite: run_logs again with column `shape.key` naming the run, same ids, indexes, counter and triggers. */
async function rebuildRunLogs(
  db: Kysely<unknown>,
  shape: {
    key: "run_key" | "run_id";
    type: "integer" | "text";
    select: ReturnType<typeof sql>;
    join: ReturnType<typeof sql>;
    indexes: [string, string];
    runMatch: ReturnType<typeof sql>;
  },
): Promise<void> {
  const counter = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'run_logs'`.execute(db);
  await sql`drop trigger if exists run_logs_fts_delete`.execute(db);
  await sql`drop trigger if exists runs_delete_records`.execute(db);
  await sql`create table run_logs_rebuilt (
    id integer primary key autoincrement,
    ${sql.id(shape.key)} ${sql.raw(shape.type)} not null,
    ts bigint not null,
    node text not null,
    level text not null,
    severity integer not null,
    msg text not null,
    attrs_json text,
    trace_id text,
    span_id text,
    flags integer default 0 not null)`.execute(db);
  await sql`insert into run_logs_rebuilt (id, ${sql.id(shape.key)}, ts, node, level, severity, msg,
      attrs_json, trace_id, span_id, flags)
    select l.id, ${shape.select}, l.ts, l.node, l.level, l.severity, l.msg, l.attrs_json, l.trace_id, l.span_id, l.flags
    from run_logs l ${shape.join} order by l.id`.execute(db);
  await sql`drop table run_logs`.execute(db);
  await sql`alter table run_logs_rebuilt rename to run_logs`.execute(db);
  const seq = Number(counter.rows[0]?.seq ?? 0);
  await sql`update sqlite_sequence set seq = max(seq, ${seq}) where name = 'run_logs'`.execute(db);
  await sql`insert into sqlite_sequence (name, seq) select 'run_logs', ${seq}
    where not exists (select 1 from sqlite_sequence where name = 'run_logs')`.execute(db);
  await sql`create index run_logs_time_idx on run_logs (${sql.raw(shape.indexes[0])})`.execute(db);
  await sql`create index run_logs_node_idx on run_logs (${sql.raw(shape.indexes[1])})`.execute(db);
  await sql`create trigger run_logs_fts_delete after delete on run_logs
    when old.id <= (select indexed_upto from run_logs_fts_state where id = 1) begin
      insert into run_logs_fts (run_logs_fts, rowid, msg) values ('delete', old.id, old.msg); end`.execute(db);
  await sql`create trigger runs_delete_records after delete on runs begin
      delete from run_logs where ${shape.runMatch};
      delete from run_metrics where run_id = old.id;
      delete from run_nodes where run_id = old.id;
      delete from run_error_groups where run_id = old.id;
      delete from run_error_nodes where run_id = old.id;
    end`.execute(db);
}
