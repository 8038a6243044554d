import type { Queryable } from "../../db/schema.ts";
import type { Decision } from "./approvals.types.ts";

export async function insertDecision(db: Queryable, id: string, d: Decision): Promise<void> {
  await db
    .insertInto("approval_decisions")
    .values({
      id,
      deployment_id: d.deploymentId,
      user_id: d.userId,
      username: d.user,
      decision: d.decision,
      comment: d.comment,
      groups_json: JSON.stringify(d.groups),
      release_digest: d.releaseDigest,
      created_at: d.at,
    })
    .execute();
}

export async function listDecisions(db: Queryable, deploymentIds: string[]): Promise<Decision[]> {
  if (deploymentIds.length === 0) return [];
  const rows = await db
    .selectFrom("approval_decisions")
    .selectAll()
    .where("deployment_id", "in", deploymentIds)
    .orderBy("created_at")
    .execute();
  return rows.map((r) => ({
    deploymentId: r.deployment_id,
    user: r.username,
    userId: r.user_id,
    decision: r.decision === "reject" ? "reject" : "approve",
    comment: r.comment,
    groups: JSON.parse(r.groups_json) as string[],
    releaseDigest: r.release_digest,
    at: r.created_at,
  }));
}
