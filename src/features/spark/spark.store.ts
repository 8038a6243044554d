import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Finding, SparkAnalysis } from "./spark.types.ts";

export interface StoredAnalysis {
  id: string;
  runId: string;
  name: string;
  analysis: SparkAnalysis;
  createdAt: string;
}

export interface AnalysisListItem {
  runId: string;
  name: string;
  complete: boolean;
  critical: number;
  createdAt: string;
  findings: Finding[];
  summary: Pick<SparkAnalysis, "app" | "counts" | "source">;
}

type Row = Database["spark_analyses"];

function toStored(row: Row): StoredAnalysis {
  const summary = JSON.parse(row.summary_json) as Omit<SparkAnalysis, "findings">;
  const findings = JSON.parse(row.findings_json) as Finding[];
  return { id: row.id, runId: row.run_id, name: row.name, analysis: { ...summary, findings }, createdAt: row.created_at };
}

/** Kysely only: analyses as JSON text (same on both dialects), one row per (run, name). */
export function createSparkStore(db: Kysely<Database>) {
  return {
    /** Replaces the analysis of that name on the run (PUT semantics), in one transaction. */
    async put(row: { id: string; runId: string; name: string; analysis: SparkAnalysis; createdAt: string }): Promise<void> {
      const { findings, ...summary } = row.analysis;
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom("spark_analyses").where("run_id", "=", row.runId).where("name", "=", row.name).execute();
        await tx
          .insertInto("spark_analyses")
          .values({
            id: row.id,
            run_id: row.runId,
            name: row.name,
            summary_json: JSON.stringify(summary),
            findings_json: JSON.stringify(findings),
            critical: findings.filter((f) => f.severity === "critical").length,
            complete: row.analysis.complete ? 1 : 0,
            created_at: row.createdAt,
          })
          .execute();
      });
    },

    async get(runId: string, name: string): Promise<StoredAnalysis | undefined> {
      const row = await db
        .selectFrom("spark_analyses")
        .selectAll()
        .where("run_id", "=", runId)
        .where("name", "=", name)
        .executeTakeFirst();
      return row ? toStored(row) : undefined;
    },

    async list(runId: string): Promise<AnalysisListItem[]> {
      const rows = await db
        .selectFrom("spark_analyses")
        .selectAll()
        .where("run_id", "=", runId)
        .orderBy("name")
        .limit(500)
        .execute();
      return rows.map((row) => {
        const { analysis } = toStored(row);
        return {
          runId: row.run_id,
          name: row.name,
          complete: row.complete === 1,
          critical: row.critical,
          createdAt: row.created_at,
          findings: analysis.findings,
          summary: { app: analysis.app, counts: analysis.counts, source: analysis.source },
        };
      });
    },

    /** The same-named analysis of the latest earlier run of the same job (project, run name, environment). */
    async previous(input: {
      projectId: string;
      runName: string;
      environment: string | null;
      before: string;
      name: string;
    }): Promise<StoredAnalysis | undefined> {
      let query = db
        .selectFrom("spark_analyses as s")
        .innerJoin("runs as r", "r.id", "s.run_id")
        .selectAll("s")
        .where("r.project_id", "=", input.projectId)
        .where("r.name", "=", input.runName)
        .where("r.created_at", "<", input.before)
        .where("s.name", "=", input.name);
      query =
        input.environment === null
          ? query.where("r.environment", "is", null)
          : query.where("r.environment", "=", input.environment);
      const row = await query.orderBy("r.created_at", "desc").limit(1).executeTakeFirst();
      return row ? toStored(row) : undefined;
    },
  };
}

export type SparkStore = ReturnType<typeof createSparkStore>;
