import type { FlagChangeDecisionsTable, FlagChangeRequestsTable } from "../../db/schema.flags.ts";
import type { Queryable } from "../../db/schema.ts";
import type { FlagChangeStatus } from "../../shared/flags/flags.api.ts";
import type { ApprovalPolicy } from "../approvals/approvals.types.ts";
import type { ChangeDecisionRecord, ChangeRequestRecord, RequestedPatch } from "./flags.types.ts";

function toRequest(row: FlagChangeRequestsTable): ChangeRequestRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    environmentId: row.environment_id,
    action: row.action,
    patches: JSON.parse(row.patches_json) as RequestedPatch[],
    reason: row.reason,
    author: row.author,
    authorId: row.author_id,
    status: row.status as FlagChangeStatus,
    applyAt: row.apply_at,
    expiresAt: row.expires_at,
    policy: row.policy_json === null ? null : (JSON.parse(row.policy_json) as ApprovalPolicy),
    appliedVersion: row.applied_version === null ? null : Number(row.applied_version),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDecision(row: FlagChangeDecisionsTable): ChangeDecisionRecord {
  return {
    changeId: row.change_id,
    userId: row.user_id,
    user: row.user_name,
    decision: row.decision as ChangeDecisionRecord["decision"],
    comment: row.comment,
    groups: JSON.parse(row.groups_json) as string[],
    at: row.at,
  };
}

export async function insertRequest(db: Queryable, r: ChangeRequestRecord): Promise<void> {
  await db
    .insertInto("flag_change_requests")
    .values({
      id: r.id,
      project_id: r.projectId,
      environment_id: r.environmentId,
      action: r.action,
      patches_json: JSON.stringify(r.patches),
      reason: r.reason,
      author: r.author,
      author_id: r.authorId,
      status: r.status,
      apply_at: r.applyAt,
      expires_at: r.expiresAt,
      policy_json: r.policy === null ? null : JSON.stringify(r.policy),
      applied_version: r.appliedVersion,
      error: r.error,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    })
    .execute();
}

export async function findRequest(db: Queryable, id: string, lock = false): Promise<ChangeRequestRecord | undefined> {
  let query = db.selectFrom("flag_change_requests").selectAll().where("id", "=", id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toRequest(row) : undefined;
}

/** Newest first, `limit + 1` rows before the (createdAt, id) cursor. */
export async function listRequests(
  db: Queryable,
  projectId: string,
  filter: { limit: number; before?: { createdAt: string; id: string }; status?: FlagChangeStatus; environmentId?: string },
): Promise<ChangeRequestRecord[]> {
  let query = db.selectFrom("flag_change_requests").selectAll().where("project_id", "=", projectId);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.environmentId) query = query.where("environment_id", "=", filter.environmentId);
  const before = filter.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb("created_at", "<", before.createdAt),
        eb.and([eb("created_at", "=", before.createdAt), eb("id", "<", before.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit + 1)
    .execute();
  return rows.map(toRequest);
}

/**
 * Moves a request from one of `from` to `to` and says whether it did. The one place a request changes status: two
 * processes racing to apply the same change both run this, and only one sees a row updated (PostgreSQL re-checks the
 * condition after the other's commit; SQLite has one writer at a time).
 */
export async function transition(
  db: Queryable,
  id: string,
  change: {
    from: FlagChangeStatus[];
    to: FlagChangeStatus;
    at: string;
    appliedVersion?: number | null;
    error?: string | null;
  },
): Promise<boolean> {
  const result = await db
    .updateTable("flag_change_requests")
    .set({
      status: change.to,
      updated_at: change.at,
      ...(change.appliedVersion !== undefined ? { applied_version: change.appliedVersion } : {}),
      ...(change.error !== undefined ? { error: change.error } : {}),
    })
    .where("id", "=", id)
    .where("status", "in", change.from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertDecision(db: Queryable, d: ChangeDecisionRecord): Promise<void> {
  await db
    .insertInto("flag_change_decisions")
    .values({
      change_id: d.changeId,
      user_id: d.userId,
      user_name: d.user,
      decision: d.decision,
      comment: d.comment,
      groups_json: JSON.stringify(d.groups),
      at: d.at,
    })
    .execute();
}

export async function listDecisions(db: Queryable, changeIds: string[]): Promise<ChangeDecisionRecord[]> {
  if (changeIds.length === 0) return [];
  const rows = await db
    .selectFrom("flag_change_decisions")
    .selectAll()
    .where("change_id", "in", changeIds)
    .orderBy("at")
    .execute();
  return rows.map(toDecision);
}
