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
/** How run_logs names its run: the column, its type per dialect, the runs column it holds, SQLite's index columns. */
interface RunReference {
  column: "run_key" | "run_id";
  sqliteType: "integer" | "text";
  pgType: "bigint" | "text";
  runs: "log_key" | "id";
  sqliteIndexes: [string, string];
}

const BY_KEY: RunReference = {
  column: "run_key",
  sqliteType: "integer",
  pgType: "bigint",
  runs: "log_key",
  sqliteIndexes: ["run_key, ts", "run_key, node, ts"],
};
/** As 0011_runs made it. */
const BY_ID: RunReference = {
  column: "run_id",
  sqliteType: "text",
  pgType: "text",
  runs: "id",
  sqliteIndexes: ["run_id, ts, id", "run_id, node, ts, id"],
};

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await sql`alter table runs add column log_key bigserial not null`.execute(db);
    await sql`alter table runs add constraint runs_log_key_key unique (log_key)`.execute(db);
    await movePg(db, BY_ID, BY_KEY);
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
    await rebuildSqlite(tx, BY_ID, BY_KEY);
  });
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await movePg(db, BY_KEY, BY_ID);
    await sql`alter table runs drop column log_key`.execute(db);
    return;
  }
  await db.transaction().execute(async (tx) => {
    await rebuildSqlite(tx, BY_KEY, BY_ID);
    await sql`drop trigger runs_log_key`.execute(tx);
    await sql`drop index runs_log_key_idx`.execute(tx);
    await sql`alter table runs drop column log_key`.execute(tx);
  });
}

/** PostgreSQL: a new column filled from runs; dropping the old one drops its indexes and foreign key (0011, 0016). */
async function movePg(db: Kysely<unknown>, from: RunReference, to: RunReference): Promise<void> {
  const [next, prev] = [sql.id(to.column), sql.id(from.column)];
  await sql`alter table run_logs add column ${next} ${sql.raw(to.pgType)}`.execute(db);
  await sql`update run_logs l set ${next} = r.${sql.id(to.runs)} from runs r
    where r.${sql.id(from.runs)} = l.${prev}`.execute(db);
  await sql`delete from run_logs where ${next} is null`.execute(db);
  await sql`alter table run_logs alter column ${next} set not null`.execute(db);
  await sql`alter table run_logs drop column ${prev}`.execute(db);
  await sql`alter table run_logs add constraint run_logs_run_fk
    foreign key (${next}) references runs (${sql.id(to.runs)}) on delete cascade`.execute(db);
  await sql`create index run_logs_time_idx on run_logs (${next}, ts, id)`.execute(db);
  await sql`create index run_logs_node_idx on run_logs (${next}, node, ts, id)`.execute(db);
}

/** SQLite: run_logs again, naming its run as `to` says, with the same ids, counter, indexes and triggers. */
async function rebuildSqlite(db: Kysely<unknown>, from: RunReference, to: RunReference): Promise<void> {
  const next = sql.id(to.column);
  const counter = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'run_logs'`.execute(db);
  await sql`drop trigger if exists run_logs_fts_delete`.execute(db);
  await sql`drop trigger if exists runs_delete_records`.execute(db);
  await sql`create table run_logs_rebuilt (
    id integer primary key autoincrement,
    ${next} ${sql.raw(to.sqliteType)} not null,
    ts bigint not null,
    node text not null,
    level text not null,
    severity integer not null,
    msg text not null,
    attrs_json text,
    trace_id text,
    span_id text,
    flags integer default 0 not null)`.execute(db);
  await sql`insert into run_logs_rebuilt (id, ${next}, ts, node, level, severity, msg, attrs_json, trace_id, span_id, flags)
    select l.id, r.${sql.id(to.runs)}, l.ts, l.node, l.level, l.severity, l.msg, l.attrs_json, l.trace_id, l.span_id, l.flags
    from run_logs l join runs r on r.${sql.id(from.runs)} = l.${sql.id(from.column)} order by l.id`.execute(db);
  await sql`drop table run_logs`.execute(db);
  await sql`alter table run_logs_rebuilt rename to run_logs`.execute(db);
  const seq = Number(counter.rows[0]?.seq ?? 0);
  await sql`update sqlite_sequence set seq = max(seq, ${seq}) where name = 'run_logs'`.execute(db);
  await sql`insert into sqlite_sequence (name, seq) select 'run_logs', ${seq}
    where not exists (select 1 from sqlite_sequence where name = 'run_logs')`.execute(db);
  await sql`create index run_logs_time_idx on run_logs (${sql.raw(to.sqliteIndexes[0])})`.execute(db);
  await sql`create index run_logs_node_idx on run_logs (${sql.raw(to.sqliteIndexes[1])})`.execute(db);
  await sql`create trigger run_logs_fts_delete after delete on run_logs
    when old.id <= (select indexed_upto from run_logs_fts_state where id = 1) begin
      insert into run_logs_fts (run_logs_fts, rowid, msg) values ('delete', old.id, old.msg); end`.execute(db);
  await sql`create trigger runs_delete_records after delete on runs begin
      delete from run_logs where ${next} = old.${sql.id(to.runs)};
      delete from run_metrics where run_id = old.id;
      delete from run_nodes where run_id = old.id;
      delete from run_error_groups where run_id = old.id;
      delete from run_error_nodes where run_id = old.id;
    end`.execute(db);
}
