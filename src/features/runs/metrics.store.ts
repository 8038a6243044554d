import { sql } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import type { Queryable } from "../../db/schema.ts";
import type { MetricPoint } from "./runs.types.ts";

const least = (dialect: DialectName) => sql.raw(dialect === "sqlite" ? "min" : "least");
const greatest = (dialect: DialectName) => sql.raw(dialect === "sqlite" ? "max" : "greatest");

/** One statement per batch, the batch as one JSON parameter; on SQLite only while the run exists (see insertLogs). */
export async function insertPoints(db: Queryable, dialect: DialectName, runId: string, points: MetricPoint[]): Promise<void> {
  if (points.length === 0) return;
  const rows = JSON.stringify(
    points.map((p) => [p.name, p.node, p.gpu, Object.keys(p.labels).length ? JSON.stringify(p.labels) : "", p.ts, p.value]),
  );
  if (dialect === "sqlite") {
    await sql`insert into run_metrics (run_id, name, node, gpu, labels_json, ts, value)
      select ${runId}, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 from json_each(${rows})
      where exists (select 1 from runs where id = ${runId})`.execute(db);
    return;
  }
  await sql`insert into run_metrics (run_id, name, node, gpu, labels_json, ts, value)
    select ${runId}, r ->> 0, r ->> 1, r ->> 2, r ->> 3, (r ->> 4)::bigint, (r ->> 5)::double precision
    from json_array_elements(${rows}::json) as r`.execute(db);
}

export interface BucketRow {
  node: string;
  gpu: string;
  labels_json: string;
  bucket: number;
  min: number;
  avg: number;
  max: number;
  n: number;
}

/** Min/avg/max per series (node, GPU, labels) and time bucket: the database does the downsampling. */
export async function bucketed(
  db: Queryable,
  input: { runId: string; name: string; from: number; to: number; stepMs: number; node?: string; gpu?: string },
): Promise<BucketRow[]> {
  // better-sqlite3 binds JS numbers as REAL, so the division is cast back to an integer bucket number.
  const bucket = sql<number>`cast((ts - ${input.from}) / ${input.stepMs} as bigint)`;
  let query = db
    .selectFrom("run_metrics")
    .select([
      "node",
      "gpu",
      "labels_json",
      bucket.as("bucket"),
      (eb) => eb.fn.min<number>("value").as("min"),
      (eb) => eb.fn.avg<number>("value").as("avg"),
      (eb) => eb.fn.max<number>("value").as("max"),
      (eb) => eb.fn.countAll<number>().as("n"),
    ])
    .where("run_id", "=", input.runId)
    .where("name", "=", input.name)
    .where("ts", ">=", input.from)
    .where("ts", "<", input.to);
  if (input.node) query = query.where("node", "=", input.node);
  if (input.gpu !== undefined) query = query.where("gpu", "=", input.gpu);
  const rows = await query
    // By the output alias: PostgreSQL does not see two parameterised copies of the expression as the same one.
    .groupBy(["node", "gpu", "labels_json", sql`bucket`])
    .orderBy("node")
    .orderBy("gpu")
    .orderBy("labels_json")
    .orderBy(sql`bucket`)
    .execute();
  return rows.map((r) => ({
    ...r,
    bucket: Number(r.bucket),
    min: Number(r.min),
    avg: Number(r.avg),
    max: Number(r.max),
    n: Number(r.n),
  }));
}

export async function range(db: Queryable, runId: string): Promise<{ from: number; to: number } | undefined> {
  const row = await db
    .selectFrom("run_metrics")
    .select((eb) => [eb.fn.min<number>("ts").as("from"), eb.fn.max<number>("ts").as("to")])
    .where("run_id", "=", runId)
    .executeTakeFirst();
  return row?.from == null || row.to == null ? undefined : { from: Number(row.from), to: Number(row.to) };
}

export interface SummaryRow {
  name: string;
  node: string;
  gpu: string;
  min: number;
  avg: number;
  max: number;
  n: number;
  last_ts: number;
}

/** Per metric, node and GPU over [from, to): min/avg/max and the count of samples. */
export async function summary(
  db: Queryable,
  input: { runId: string; names?: string[]; from?: number; to?: number },
): Promise<SummaryRow[]> {
  let query = db
    .selectFrom("run_metrics")
    .select([
      "name",
      "node",
      "gpu",
      (eb) => eb.fn.min<number>("value").as("min"),
      (eb) => eb.fn.avg<number>("value").as("avg"),
      (eb) => eb.fn.max<number>("value").as("max"),
      (eb) => eb.fn.countAll<number>().as("n"),
      (eb) => eb.fn.max<number>("ts").as("last_ts"),
    ])
    .where("run_id", "=", input.runId);
  if (input.names?.length) query = query.where("name", "in", input.names);
  if (input.from !== undefined) query = query.where("ts", ">=", input.from);
  if (input.to !== undefined) query = query.where("ts", "<", input.to);
  const rows = await query.groupBy(["name", "node", "gpu"]).orderBy("name").orderBy("node").orderBy("gpu").execute();
  return rows.map((r) => ({
    ...r,
    min: Number(r.min),
    avg: Number(r.avg),
    max: Number(r.max),
    n: Number(r.n),
    last_ts: Number(r.last_ts),
  }));
}

export async function metricNames(db: Queryable, runId: string): Promise<string[]> {
  const rows = await db.selectFrom("run_metrics").select("name").distinct().where("run_id", "=", runId).orderBy("name").execute();
  return rows.map((r) => r.name);
}

export interface NodeSighting {
  node: string;
  /** Oldest and newest sample time of the batch (ms). */
  firstTs: number;
  lastTs: number;
  /** When the batch arrived (ms): what node_silent compares with. */
  seenAt: number;
}

/**
 * Metrics make their nodes nodes of the run (run_nodes, with no log records): one row per node and batch, so a
 * metrics-only worker is listed and flagged when it goes silent. A node's first/last times follow its samples only
 * while it has no log records; once it has, they are its records' times.
 */
export async function touchNodes(db: Queryable, dialect: DialectName, runId: string, nodes: NodeSighting[]): Promise<void> {
  if (nodes.length === 0) return;
  await db
    .insertInto("run_nodes")
    .values(
      nodes.map((n) => ({
        run_id: runId,
        node: n.node,
        first_ts: n.firstTs,
        last_ts: n.lastTs,
        last_seen_at: n.seenAt,
        records: 0,
        debug: 0,
        info: 0,
        warn: 0,
        error: 0,
        fatal: 0,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["run_id", "node"]).doUpdateSet({
        first_ts: sql`case when run_nodes.records = 0 then ${least(dialect)}(run_nodes.first_ts, excluded.first_ts) else run_nodes.first_ts end`,
        last_ts: sql`case when run_nodes.records = 0 then ${greatest(dialect)}(run_nodes.last_ts, excluded.last_ts) else run_nodes.last_ts end`,
        last_seen_at: sql`${greatest(dialect)}(run_nodes.last_seen_at, excluded.last_seen_at)`,
      }),
    )
    .execute();
}

/**
 * The newest samples of one metric and node stored before `before`: the previous scrape of a counter. Walks the
 * (run_id, name, ts) index backwards to the first row of the node, then reads that instant's rows.
 */
export async function previousSamples(
  db: Queryable,
  input: { runId: string; name: string; node: string; before: number },
): Promise<{ ts: number; samples: { labels: Record<string, string>; value: number }[] } | undefined> {
  const last = await db
    .selectFrom("run_metrics")
    .select("ts")
    .where("run_id", "=", input.runId)
    .where("name", "=", input.name)
    .where("ts", "<", input.before)
    .where("node", "=", input.node)
    .orderBy("ts", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!last) return undefined;
  const ts = Number(last.ts);
  const rows = await db
    .selectFrom("run_metrics")
    .select(["labels_json", "value"])
    .where("run_id", "=", input.runId)
    .where("name", "=", input.name)
    .where("ts", "=", ts)
    .where("node", "=", input.node)
    .execute();
  return {
    ts,
    samples: rows.map((r) => ({
      labels: r.labels_json ? (JSON.parse(r.labels_json) as Record<string, string>) : {},
      value: Number(r.value),
    })),
  };
}
