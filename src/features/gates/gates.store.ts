import type { Queryable } from "../../db/schema.ts";
import type { GateEvaluation, GateResult } from "./gates.types.ts";

export interface GateRecord {
  id: string;
  deploymentId: string | null;
  projectId: string;
  environment: string;
  releaseId: string;
  evaluation: GateEvaluation;
  override: { by: string; reason: string } | null;
  createdAt: string;
}

export async function insertGateResult(db: Queryable, record: GateRecord): Promise<void> {
  await db
    .insertInto("gate_results")
    .values({
      id: record.id,
      deployment_id: record.deploymentId,
      project_id: record.projectId,
      environment: record.environment,
      release_id: record.releaseId,
      passed: record.evaluation.passed ? 1 : 0,
      results_json: JSON.stringify(record.evaluation.results),
      override_by: record.override?.by ?? null,
      override_reason: record.override?.reason ?? null,
      created_at: record.createdAt,
    })
    .execute();
}

export async function gateResultsOf(db: Queryable, deploymentId: string) {
  const row = await db
    .selectFrom("gate_results")
    .selectAll()
    .where("deployment_id", "=", deploymentId)
    .orderBy("created_at", "desc")
    .executeTakeFirst();
  if (!row) return null;
  return {
    passed: row.passed === 1,
    results: JSON.parse(row.results_json) as GateResult[],
    override: row.override_by ? { by: row.override_by, reason: row.override_reason ?? "" } : null,
    evaluatedAt: row.created_at,
  };
}
