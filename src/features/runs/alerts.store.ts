import type { Selectable } from "kysely";
import { type RunAlertsTable, runKeyOf } from "../../db/schema.runs.ts";
import type { Queryable } from "../../db/schema.ts";
import type { Alert } from "./alerts.types.ts";

function toAlert(row: Selectable<RunAlertsTable>): Alert {
  return {
    id: row.id,
    rule: row.rule,
    severity: row.severity,
    state: row.state as Alert["state"],
    message: row.message,
    value: row.value,
    firedAt: row.fired_at,
    resolvedAt: row.resolved_at,
  };
}

export async function listAlerts(db: Queryable, runId: string): Promise<Alert[]> {
  const rows = await db
    .selectFrom("run_alerts")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("fired_at")
    .orderBy("id")
    .execute();
  return rows.map(toAlert);
}

export async function firingAlert(db: Queryable, runId: string, rule: string): Promise<Alert | undefined> {
  const row = await db
    .selectFrom("run_alerts")
    .selectAll()
    .where("run_id", "=", runId)
    .where("rule", "=", rule)
    .where("state", "=", "firing")
    .executeTakeFirst();
  return row && toAlert(row);
}

export async function insertAlert(db: Queryable, runId: string, alert: Alert): Promise<void> {
  await db
    .insertInto("run_alerts")
    .values({
      id: alert.id,
      run_id: runId,
      rule: alert.rule,
      severity: alert.severity,
      state: alert.state,
      message: alert.message,
      value: alert.value,
      fired_at: alert.firedAt,
      resolved_at: alert.resolvedAt,
      notified: 0,
    })
    .execute();
}

export async function updateFiring(db: Queryable, id: string, fields: { message: string; value: number | null }): Promise<void> {
  await db.updateTable("run_alerts").set(fields).where("id", "=", id).execute();
}

export async function resolveAlert(db: Queryable, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable("run_alerts")
    .set({ state: "resolved", resolved_at: at })
    .where("id", "=", id)
    .where("state", "=", "firing")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * The `alerts:` of the project's applied stagegate.yaml (kept in projects.config_json by the projects feature):
 * undefined when the key is absent. Read-only; the projects feature owns the row.
 */
export async function configuredAlertRules(db: Queryable, projectId: string): Promise<unknown[] | undefined> {
  const row = await db.selectFrom("projects").select("config_json").where("id", "=", projectId).executeTakeFirst();
  if (!row?.config_json) return undefined;
  const config = JSON.parse(row.config_json) as { alerts?: unknown[] };
  return config.alerts;
}

/** Error-level records of a run in [from, to). */
export async function countErrors(db: Queryable, runId: string, from: number, to: number): Promise<number> {
  const row = await db
    .selectFrom("run_logs")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("run_key", "=", runKeyOf(runId))
    .where("severity", ">=", 17)
    .where("ts", ">=", from)
    .where("ts", "<", to)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Per series (node, GPU) of one metric over [from, to]: aggregate, sample count and covered span. */
export async function windowStats(
  db: Queryable,
  input: { runId: string; name: string; from: number; to: number },
): Promise<{ node: string; gpu: string; min: number; avg: number; max: number; first: number; last: number }[]> {
  const rows = await db
    .selectFrom("run_metrics")
    .select([
      "node",
      "gpu",
      (eb) => eb.fn.min<number>("value").as("min"),
      (eb) => eb.fn.avg<number>("value").as("avg"),
      (eb) => eb.fn.max<number>("value").as("max"),
      (eb) => eb.fn.min<number>("ts").as("first"),
      (eb) => eb.fn.max<number>("ts").as("last"),
    ])
    .where("run_id", "=", input.runId)
    .where("name", "=", input.name)
    .where("ts", ">=", input.from)
    .where("ts", "<=", input.to)
    .groupBy(["node", "gpu"])
    .orderBy("node")
    .orderBy("gpu")
    .execute();
  return rows.map((r) => ({
    node: r.node,
    gpu: r.gpu,
    min: Number(r.min),
    avg: Number(r.avg),
    max: Number(r.max),
    first: Number(r.first),
    last: Number(r.last),
  }));
}

export async function lastMetricTs(db: Queryable, runId: string, name: string): Promise<number | undefined> {
  const row = await db
    .selectFrom("run_metrics")
    .select((eb) => eb.fn.max<number>("ts").as("ts"))
    .where("run_id", "=", runId)
    .where("name", "=", name)
    .executeTakeFirst();
  return row?.ts == null ? undefined : Number(row.ts);
}

/** Durations (ms) of the last ended runs of a job in an environment, newest first. */
export async function recentDurations(
  db: Queryable,
  input: { projectId: string; name: string; environment: string | null; before: string; limit: number },
): Promise<number[]> {
  let query = db
    .selectFrom("runs")
    .select(["created_at", "ended_at"])
    .where("project_id", "=", input.projectId)
    .where("name", "=", input.name)
    .where("ended_at", "is not", null)
    .where("created_at", "<", input.before);
  query =
    input.environment === null ? query.where("environment", "is", null) : query.where("environment", "=", input.environment);
  const rows = await query.orderBy("created_at", "desc").limit(input.limit).execute();
  return rows.map((r) => Date.parse(r.ended_at ?? "") - Date.parse(r.created_at));
}
