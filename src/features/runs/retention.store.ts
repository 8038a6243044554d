import { sql } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import { runKeyOf } from "../../db/schema.runs.ts";
import type { Queryable } from "../../db/schema.ts";

export interface RetentionCandidate {
  id: string;
  status: string;
  createdAt: string;
  endedAt: string | null;
  purgedAt: string | null;
  /** Wall-clock ms any node of the run last sent records; null when none did. */
  lastSeenAt: number | null;
  bytes: number;
}

/** Projects that have runs, with their applied stagegate.yaml `runs:` (read-only; the projects feature owns the row). */
export async function projectsWithRuns(db: Queryable): Promise<{ id: string; runsConfig: unknown }[]> {
  const rows = await db
    .selectFrom("projects")
    .select(["id", "config_json"])
    .where(({ exists, selectFrom }) =>
      exists(selectFrom("runs").select("runs.id").whereRef("runs.project_id", "=", "projects.id")),
    )
    .orderBy("id")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    runsConfig: row.config_json ? (JSON.parse(row.config_json) as { runs?: unknown }).runs : undefined,
  }));
}

/** The runs of a project with their stored log bytes and last activity, oldest first (by end, else start). */
export async function runsWithBytes(db: Queryable, projectId: string): Promise<RetentionCandidate[]> {
  const rows = await db
    .selectFrom("runs")
    .leftJoin("run_nodes", "run_nodes.run_id", "runs.id")
    .select((eb) => [
      "runs.id",
      "runs.status",
      "runs.created_at",
      "runs.ended_at",
      "runs.purged_at",
      eb.fn.max("run_nodes.last_seen_at").as("last_seen_at"),
      eb.fn.coalesce(eb.fn.sum<number>("run_nodes.bytes"), sql<number>`0`).as("bytes"),
    ])
    .where("runs.project_id", "=", projectId)
    .groupBy(["runs.id", "runs.status", "runs.created_at", "runs.ended_at", "runs.purged_at"])
    .orderBy(sql`coalesce(runs.ended_at, runs.created_at)`)
    .orderBy("runs.id")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    status: r.status,
    createdAt: r.created_at,
    endedAt: r.ended_at,
    purgedAt: r.purged_at,
    lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
    bytes: Number(r.bytes),
  }));
}

/**
 * Deletes up to `limit` of the run's log records, oldest first; returns how many. One statement, so one short
 * transaction: ingest (SQLite's single writer, PostgreSQL's locks on the same index pages) waits at most one batch.
 * On SQLite the `run_logs_fts_delete` trigger takes the records out of the full-text index in the same statement.
 */
export async function deleteLogBatch(db: Queryable, runId: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom("run_logs")
    .where("id", "in", (eb) =>
      eb.selectFrom("run_logs").select("id").where("run_key", "=", runKeyOf(runId)).orderBy("ts").orderBy("id").limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes up to `limit` metric samples of the run (the table has no key: SQLite's rowid, PostgreSQL's ctid). */
export async function deleteMetricBatch(db: Queryable, dialect: DialectName, runId: string, limit: number): Promise<number> {
  const key = sql.raw(dialect === "sqlite" ? "rowid" : "ctid");
  const result = await sql`delete from run_metrics where ${key} in (
    select ${key} from run_metrics where run_id = ${runId} limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** After the records went: the run says when, and its bytes no longer count against the project. */
export async function markPurged(db: Queryable, runId: string, at: string | null): Promise<void> {
  if (at !== null) await db.updateTable("runs").set({ purged_at: at }).where("id", "=", runId).execute();
  await db.updateTable("run_nodes").set({ bytes: 0 }).where("run_id", "=", runId).execute();
}
