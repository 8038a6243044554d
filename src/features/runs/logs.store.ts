import { type Selectable, sql } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import { insertRows } from "../../db/insert-rows.ts";
import { type RunErrorGroupsTable, type RunLogsTable, type RunNodesTable, runKeyOf } from "../../db/schema.runs.ts";
import type { Queryable } from "../../db/schema.ts";
import type { LogRecordInput } from "./runs.types.ts";

export interface NodeDelta {
  node: string;
  firstTs: number;
  lastTs: number;
  seenAt: number;
  records: number;
  debug: number;
  info: number;
  warn: number;
  error: number;
  fatal: number;
  /** Estimated stored bytes of the node's records in the batch (see RECORD_OVERHEAD_BYTES). */
  bytes: number;
}

/** Counted per record next to message and attributes: ids, times, level, indexes (0016_runs_retention uses the same). */
export const RECORD_OVERHEAD_BYTES = 64;

export interface ErrorDelta {
  fingerprint: string;
  template: string;
  count: number;
  firstTs: number;
  lastTs: number;
  exampleMsg: string;
  exampleStack: string | null;
  exampleNode: string;
  nodes: Set<string>;
}

const least = (dialect: DialectName) => sql.raw(dialect === "sqlite" ? "min" : "least");
const greatest = (dialect: DialectName) => sql.raw(dialect === "sqlite" ? "max" : "greatest");

const LOG_COLUMNS = ["run_key", "ts", "node", "level", "severity", "msg", "attrs_json", "trace_id", "span_id", "flags"];

/**
 * SQLite: rows per INSERT, largest first; a batch goes in as full statements of each size (10,000 records: ten of
 * 1,000). Fixed sizes keep four statement texts in the cache, whatever the batch size. One statement of 1,000 rows
 * costs less than 1,000 runs of a one-row prepared statement (how this inserted before), each of which also updates the AUTOINCREMENT
 * counter (sqlite_sequence) and crosses into the driver: a 10k batch, alternating both on one file, 34.6 → 31.5 ms at
 * best, 46 → 36 ms median. 1,000 rows × 10 values stays under SQLite's 32,766 parameters.
 */
const SQLITE_CHUNKS = [1000, 100, 10, 1];

/** Each record's attributes as stored (JSON text), and the estimated stored bytes per node. */
function encodeRecords(records: LogRecordInput[]): { attrs: (string | null)[]; bytes: Map<string, number> } {
  const bytes = new Map<string, number>();
  const attrs = new Array<string | null>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LogRecordInput;
    const text = r.attrs ? JSON.stringify(r.attrs) : null;
    attrs[i] = text;
    bytes.set(r.node, (bytes.get(r.node) ?? 0) + r.msg.length + (text?.length ?? 0) + RECORD_OVERHEAD_BYTES);
  }
  return { attrs, bytes };
}

/**
 * Inserts a batch. SQLite: multi-row INSERTs of fixed sizes (SQLITE_CHUNKS) inside the caller's transaction;
 * PostgreSQL: one statement whose single parameter is the whole batch as a JSON array (`json_array_elements`).
 * Records carry the run's integer `log_key` (0022_run_logs_key). The insert is a no-op when the run no longer exists.
 * Returns the estimated stored bytes per node, for retention's byte limit.
 */
export async function insertLogs(
  db: Queryable,
  batch: { dialect: DialectName; runId: string; records: LogRecordInput[]; indexInline: boolean },
): Promise<Map<string, number>> {
  const { dialect, runId, records } = batch;
  if (records.length === 0) return new Map();
  const { attrs, bytes } = encodeRecords(records);
  if (dialect === "sqlite") {
    const run = await db.selectFrom("runs").select("log_key").where("id", "=", runId).executeTakeFirst();
    if (!run) return bytes;
    const key = run.log_key;
    // A database without 0019's deferred index (see logs.fts.ts) indexes the batch here: the caller's transaction holds
    // SQLite's only write lock, so the batch is every id above the highest one before it.
    const before = batch.indexInline
      ? Number((await sql<{ id: number | null }>`select max(id) as id from run_logs`.execute(db)).rows[0]?.id ?? 0)
      : 0;
    let row = 0;
    for (const size of SQLITE_CHUNKS) {
      for (; records.length - row >= size; row += size) {
        const params: unknown[] = [];
        for (let i = row; i < row + size; i++) {
          const r = records[i] as LogRecordInput;
          params.push(key, r.ts, r.node, r.level, r.severity, r.msg, attrs[i], r.traceId, r.spanId, r.flags);
        }
        await insertRows(db, { table: "run_logs", columns: LOG_COLUMNS, rows: size, params });
      }
    }
    if (batch.indexInline) {
      await sql`insert into run_logs_fts (rowid, msg) select id, msg from run_logs where id > ${before}`.execute(db);
    }
    return bytes;
  }
  const rows = records.map((r, i) => [r.ts, r.node, r.level, r.severity, r.msg, attrs[i], r.traceId, r.spanId, r.flags]);
  await sql`insert into run_logs (run_key, ts, node, level, severity, msg, attrs_json, trace_id, span_id, flags)
    select runs.log_key, (r ->> 0)::bigint, r ->> 1, r ->> 2, (r ->> 3)::int, r ->> 4, r ->> 5, r ->> 6, r ->> 7, (r ->> 8)::int
    from runs, json_array_elements(${JSON.stringify(rows)}::json) as r where runs.id = ${runId}`.execute(db);
  return bytes;
}

/**
 * Rows per statement of the node and error upserts: a batch usually has a few nodes and error groups, but may have
 * thousands, and SQLite takes at most 32,766 parameters per statement (PostgreSQL 65,535).
 */
const UPSERT_ROWS = 500;

function* chunksOf<T>(items: T[], size: number): Generator<T[]> {
  for (let at = 0; at < items.length; at += size) yield items.slice(at, at + size);
}

/** One statement per UPSERT_ROWS nodes (each node once in a batch: PostgreSQL refuses to update a row twice). */
export async function upsertNodes(db: Queryable, dialect: DialectName, runId: string, deltas: NodeDelta[]): Promise<void> {
  for (const chunk of chunksOf(deltas, UPSERT_ROWS)) await upsertNodeRows(db, dialect, runId, chunk);
}

async function upsertNodeRows(db: Queryable, dialect: DialectName, runId: string, deltas: NodeDelta[]): Promise<void> {
  await db
    .insertInto("run_nodes")
    .values(
      deltas.map((d) => ({
        run_id: runId,
        node: d.node,
        first_ts: d.firstTs,
        last_ts: d.lastTs,
        last_seen_at: d.seenAt,
        records: d.records,
        debug: d.debug,
        info: d.info,
        warn: d.warn,
        error: d.error,
        fatal: d.fatal,
        bytes: d.bytes,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["run_id", "node"]).doUpdateSet({
        // A node that so far only sent metrics (metrics.store) has its samples' times here: its records' replace them.
        first_ts: sql`case when run_nodes.records = 0 then excluded.first_ts
          else ${least(dialect)}(run_nodes.first_ts, excluded.first_ts) end`,
        last_ts: sql`case when run_nodes.records = 0 then excluded.last_ts
          else ${greatest(dialect)}(run_nodes.last_ts, excluded.last_ts) end`,
        last_seen_at: sql`${greatest(dialect)}(run_nodes.last_seen_at, excluded.last_seen_at)`,
        records: sql`run_nodes.records + excluded.records`,
        debug: sql`run_nodes.debug + excluded.debug`,
        info: sql`run_nodes.info + excluded.info`,
        warn: sql`run_nodes.warn + excluded.warn`,
        error: sql`run_nodes.error + excluded.error`,
        fatal: sql`run_nodes.fatal + excluded.fatal`,
        bytes: sql`run_nodes.bytes + excluded.bytes`,
      }),
    )
    .execute();
}

/** The batch's error groups (each fingerprint once) and the nodes they occurred on, UPSERT_ROWS per statement. */
export async function upsertErrors(db: Queryable, dialect: DialectName, runId: string, deltas: ErrorDelta[]): Promise<void> {
  for (const chunk of chunksOf(deltas, UPSERT_ROWS)) await upsertErrorGroups(db, dialect, runId, chunk);
  const nodes = deltas.flatMap((d) => [...d.nodes].map((node) => ({ run_id: runId, fingerprint: d.fingerprint, node })));
  for (const chunk of chunksOf(nodes, UPSERT_ROWS)) {
    await db
      .insertInto("run_error_nodes")
      .values(chunk)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

async function upsertErrorGroups(db: Queryable, dialect: DialectName, runId: string, deltas: ErrorDelta[]): Promise<void> {
  await db
    .insertInto("run_error_groups")
    .values(
      deltas.map((d) => ({
        run_id: runId,
        fingerprint: d.fingerprint,
        template: d.template,
        count: d.count,
        first_ts: d.firstTs,
        last_ts: d.lastTs,
        example_msg: d.exampleMsg,
        example_stack: d.exampleStack,
        example_node: d.exampleNode,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["run_id", "fingerprint"]).doUpdateSet({
        count: sql`run_error_groups.count + excluded.count`,
        first_ts: sql`${least(dialect)}(run_error_groups.first_ts, excluded.first_ts)`,
        last_ts: sql`${greatest(dialect)}(run_error_groups.last_ts, excluded.last_ts)`,
      }),
    )
    .execute();
}

export interface LogQuery {
  runId: string;
  nodes?: string[];
  minSeverity?: number;
  from?: number;
  to?: number;
  q?: string;
  after?: { ts: number; id: number };
  order: "asc" | "desc";
  limit: number;
}

/** FTS5 query syntax would let `a OR b`, `col:x`, `"` through; every word is quoted, so the query is words ANDed. */
function ftsWords(q: string): string {
  return (q.match(/[\p{L}\p{N}_]+/gu) ?? []).map((w) => `"${w}"`).join(" ");
}

/**
 * Full-text hits (all runs) up to which a search reads its rows by id: a rare word is a few lookups, while the
 * run's own index would be walked to its end looking for matches. Above it, the run's rows are walked in time order
 * and checked against the hits, which stops after `limit` matches.
 */
const FTS_BY_ID_MAX = 10_000;

/** SQLite: the ids matching `words`, if there are at most FTS_BY_ID_MAX of them. */
async function fewFtsHits(db: Queryable, words: string): Promise<number[] | undefined> {
  const hits = await sql<{ id: number }>`select rowid as id from run_logs_fts where run_logs_fts match ${words}
    limit ${FTS_BY_ID_MAX + 1}`.execute(db);
  return hits.rows.length > FTS_BY_ID_MAX ? undefined : hits.rows.map((r) => r.id);
}

export async function queryLogs(db: Queryable, dialect: DialectName, query: LogQuery): Promise<Selectable<RunLogsTable>[]> {
  let byId: number[] | undefined;
  let words = "";
  if (query.q !== undefined && query.q.trim() !== "" && dialect === "sqlite") {
    words = ftsWords(query.q);
    if (words === "") return [];
    byId = await fewFtsHits(db, words);
    if (byId?.length === 0) return [];
  }
  // `+run_key`: with the few hits known, SQLite reads them by id instead of walking the run's index.
  let select = db
    .selectFrom("run_logs")
    .selectAll()
    .where(byId ? sql<number>`+run_key` : sql.ref("run_key"), "=", runKeyOf(query.runId));
  if (query.nodes?.length) select = select.where("node", "in", query.nodes);
  if (query.minSeverity !== undefined) select = select.where("severity", ">=", query.minSeverity);
  if (query.from !== undefined) select = select.where("ts", ">=", query.from);
  if (query.to !== undefined) select = select.where("ts", "<", query.to);
  if (query.q !== undefined && query.q.trim() !== "") {
    const q = query.q;
    if (byId) {
      select = select.where(sql<boolean>`id in (select value from json_each(${JSON.stringify(byId)}))`);
    } else if (dialect === "sqlite") {
      select = select.where(sql<boolean>`id in (select rowid from run_logs_fts where run_logs_fts match ${words})`);
    } else {
      select = select.where(sql<boolean>`to_tsvector('simple', msg) @@ plainto_tsquery('simple', ${q})`);
    }
  }
  const after = query.after;
  const op = query.order === "asc" ? ">" : "<";
  if (after) {
    select = select.where((eb) => eb.or([eb("ts", op, after.ts), eb.and([eb("ts", "=", after.ts), eb("id", op, after.id)])]));
  }
  return select.orderBy("ts", query.order).orderBy("id", query.order).limit(query.limit).execute();
}

export async function listNodes(db: Queryable, runId: string): Promise<Selectable<RunNodesTable>[]> {
  return db.selectFrom("run_nodes").selectAll().where("run_id", "=", runId).orderBy("node").execute();
}

export async function topErrors(
  db: Queryable,
  runId: string,
  limit: number,
): Promise<(Selectable<RunErrorGroupsTable> & { nodes: string[] })[]> {
  const groups = await db
    .selectFrom("run_error_groups")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("count", "desc")
    .orderBy("first_ts", "asc")
    .limit(limit)
    .execute();
  if (groups.length === 0) return [];
  const nodes = await db
    .selectFrom("run_error_nodes")
    .select(["fingerprint", "node"])
    .where("run_id", "=", runId)
    .where(
      "fingerprint",
      "in",
      groups.map((g) => g.fingerprint),
    )
    .orderBy("node")
    .execute();
  return groups.map((g) => ({ ...g, nodes: nodes.filter((n) => n.fingerprint === g.fingerprint).map((n) => n.node) }));
}

export async function countLogs(db: Queryable, runId: string): Promise<number> {
  const row = await db
    .selectFrom("run_logs")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("run_key", "=", runKeyOf(runId))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * How far the log is visible, for a tail that follows arrival order (`run_logs.id`). `upto`: the highest id visible.
 * SQLite has one writer at a time and ids are given inside its transaction, so every id up to `upto` is committed:
 * `xmin`/`xmax` are null. PostgreSQL gives ids (bigserial) before commit, so a concurrent transaction may still commit
 * an id below `upto`: `xmin` is the oldest transaction still running and `xmax` the first not yet started, of the same
 * snapshot (`txid_current_snapshot`), so a caller knows when every transaction of an earlier horizon has ended.
 */
export interface ArrivalHorizon {
  upto: number;
  xmin: bigint | null;
  xmax: bigint | null;
}

export async function arrivalHorizon(db: Queryable, dialect: DialectName): Promise<ArrivalHorizon> {
  if (dialect === "sqlite") {
    const row = (await sql<{ upto: number | null }>`select max(id) as upto from run_logs`.execute(db)).rows[0];
    return { upto: Number(row?.upto ?? 0), xmin: null, xmax: null };
  }
  const row = (
    await sql<{ upto: string | null; xmin: string; xmax: string }>`select (select max(id) from run_logs) as upto,
      txid_snapshot_xmin(s)::text as xmin, txid_snapshot_xmax(s)::text as xmax
      from (select txid_current_snapshot() as s) snapshot`.execute(db)
  ).rows[0];
  if (!row) throw new Error("txid_current_snapshot() returned no row");
  return { upto: Number(row.upto ?? 0), xmin: BigInt(row.xmin), xmax: BigInt(row.xmax) };
}

export interface ArrivalQuery {
  runId: string;
  nodes?: string[];
  minSeverity?: number;
  /** Records with afterId < id <= uptoId, in id (arrival) order. */
  afterId: number;
  uptoId: number;
  limit: number;
}

/** A run's records in arrival order within an id range (the live tail's query). */
export async function logsByArrival(db: Queryable, query: ArrivalQuery): Promise<Selectable<RunLogsTable>[]> {
  // `+run_key` (SQLite): read the id range from the table's b-tree; the run's indexes are in time order and would be
  // walked from the start of the run. PostgreSQL reads the primary key range by itself (it knows the range is small).
  let select = db
    .selectFrom("run_logs")
    .selectAll()
    .where(sql<number>`+run_key`, "=", runKeyOf(query.runId))
    .where("id", ">", query.afterId)
    .where("id", "<=", query.uptoId);
  if (query.nodes?.length) select = select.where("node", "in", query.nodes);
  if (query.minSeverity !== undefined) select = select.where("severity", ">=", query.minSeverity);
  return select.orderBy("id", "asc").limit(query.limit).execute();
}
