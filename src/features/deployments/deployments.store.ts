import type { Updateable } from "kysely";
import type { DeploymentsTable, Queryable } from "../../db/schema.ts";
import type { DeploymentStatus } from "../../shared/api.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { EnvironmentSpec } from "../projects/projects.types.ts";
import type { CallbackResult, DeploymentKind, DeploymentListItem, DeploymentRecord, StepState } from "./deployments.types.ts";
import { OPEN_STATUSES } from "./deployments.types.ts";

function joined(db: Queryable) {
  return db
    .selectFrom("deployments as d")
    .innerJoin("environments as e", "e.id", "d.environment_id")
    .innerJoin("releases as r", "r.id", "d.release_id")
    .innerJoin("projects as p", "p.id", "d.project_id")
    .selectAll("d")
    .select([
      "e.name as environment_name",
      "e.spec_json as environment_spec",
      "r.version as release_version",
      "p.slug as project_slug",
    ]);
}

type JoinedRow = DeploymentsTable & {
  environment_name: string;
  environment_spec: string;
  release_version: string;
  project_slug: string;
};

// Every deployment row of an environment carries the same spec text: parse each distinct text once, not once per row.
const specs = new Map<string, EnvironmentSpec>();
function parseSpec(json: string): EnvironmentSpec {
  let spec = specs.get(json);
  if (!spec) {
    spec = JSON.parse(json) as EnvironmentSpec;
    if (specs.size >= 256) specs.clear();
    specs.set(json, spec);
  }
  return spec;
}

type ListRow = Pick<
  JoinedRow,
  | "id"
  | "environment_id"
  | "release_id"
  | "kind"
  | "status"
  | "reason"
  | "created_by"
  | "step_index"
  | "step_attempt"
  | "external_id"
  | "external_url"
  | "created_at"
  | "started_at"
  | "finished_at"
  | "environment_name"
  | "environment_spec"
  | "release_version"
  | "project_slug"
>;

function toListItem(row: ListRow): DeploymentListItem {
  return {
    id: row.id,
    projectSlug: row.project_slug,
    environmentId: row.environment_id,
    environmentName: row.environment_name,
    environmentSpec: parseSpec(row.environment_spec),
    releaseId: row.release_id,
    releaseVersion: row.release_version,
    kind: row.kind as DeploymentKind,
    status: row.status as DeploymentStatus,
    reason: row.reason,
    createdBy: row.created_by,
    stepIndex: row.step_index,
    stepAttempt: row.step_attempt,
    externalId: row.external_id,
    externalUrl: row.external_url,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function toDeployment(row: JoinedRow): DeploymentRecord {
  return {
    ...toListItem(row),
    projectId: row.project_id,
    stepState: row.step_state as StepState | null,
    stepDeadline: row.step_deadline,
    callbackTokenHash: row.callback_token_hash,
    callbackResult: row.callback_result ? (JSON.parse(row.callback_result) as CallbackResult) : null,
    cancelRequested: row.cancel_requested === 1,
    logOmittedLines: row.log_omitted_lines,
    logOmittedBytes: row.log_omitted_bytes,
  };
}

export type NewDeployment = Pick<
  DeploymentRecord,
  | "id"
  | "projectId"
  | "projectSlug"
  | "environmentId"
  | "environmentName"
  | "environmentSpec"
  | "releaseId"
  | "releaseVersion"
  | "kind"
  | "createdBy"
  | "createdAt"
> & { status: "queued" | "pending_approval" };

/** Inserts the deployment and returns it as `findDeployment` would read it back, without reading it back. */
export async function insertDeployment(db: Queryable, d: NewDeployment): Promise<DeploymentRecord> {
  await db
    .insertInto("deployments")
    .values({
      id: d.id,
      project_id: d.projectId,
      environment_id: d.environmentId,
      release_id: d.releaseId,
      kind: d.kind,
      status: d.status,
      reason: null,
      created_by: d.createdBy,
      step_index: 0,
      step_attempt: 0,
      step_state: null,
      step_deadline: null,
      external_id: null,
      external_url: null,
      callback_token_hash: null,
      callback_result: null,
      cancel_requested: 0,
      log_omitted_lines: 0,
      log_omitted_bytes: 0,
      created_at: d.createdAt,
      started_at: null,
      finished_at: null,
      updated_at: d.createdAt,
    })
    .execute();
  return {
    ...d,
    reason: null,
    stepIndex: 0,
    stepAttempt: 0,
    stepState: null,
    stepDeadline: null,
    externalId: null,
    externalUrl: null,
    callbackTokenHash: null,
    callbackResult: null,
    cancelRequested: false,
    logOmittedLines: 0,
    logOmittedBytes: 0,
    startedAt: null,
    finishedAt: null,
  };
}

export async function findDeployment(db: Queryable, id: string): Promise<DeploymentRecord | undefined> {
  const row = await joined(db).where("d.id", "=", id).executeTakeFirst();
  return row ? toDeployment(row) : undefined;
}

/** The project a deployment belongs to: one primary-key lookup, for authorisation before the route reads the deployment. */
export async function findDeploymentProjectId(db: Queryable, id: string): Promise<string | undefined> {
  const row = await db.selectFrom("deployments").select("project_id").where("id", "=", id).executeTakeFirst();
  return row?.project_id;
}

export async function findOpenDeployment(
  db: Queryable,
  environmentId: string,
  releaseId: string,
): Promise<DeploymentRecord | undefined> {
  const row = await joined(db)
    .where("d.environment_id", "=", environmentId)
    .where("d.release_id", "=", releaseId)
    .where("d.status", "in", OPEN_STATUSES)
    .executeTakeFirst();
  return row ? toDeployment(row) : undefined;
}

/** Succeeded deployments of an environment, most recent finish first: the first is what runs there now. */
export async function listSucceeded(db: Queryable, environmentId: string, limit: number): Promise<DeploymentRecord[]> {
  const rows = await joined(db)
    .where("d.environment_id", "=", environmentId)
    .where("d.status", "=", "succeeded")
    .orderBy("d.finished_at", "desc")
    .orderBy("d.id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toDeployment);
}

export async function hasSucceeded(db: Queryable, environmentId: string, releaseId: string): Promise<boolean> {
  const row = await db
    .selectFrom("deployments")
    .select("id")
    .where("environment_id", "=", environmentId)
    .where("release_id", "=", releaseId)
    .where("status", "=", "succeeded")
    .executeTakeFirst();
  return row !== undefined;
}

export async function latestInEnvironment(db: Queryable, environmentId: string): Promise<DeploymentRecord | undefined> {
  const row = await joined(db)
    .where("d.environment_id", "=", environmentId)
    .orderBy("d.created_at", "desc")
    .orderBy("d.id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? toDeployment(row) : undefined;
}

export async function listDeployments(
  db: Queryable,
  filter: {
    projectId?: string;
    environmentId?: string;
    releaseIds?: string[];
    status?: DeploymentStatus;
    limit: number;
    before?: Cursor | undefined;
  },
): Promise<DeploymentListItem[]> {
  let query = db
    .selectFrom("deployments as d")
    .innerJoin("environments as e", "e.id", "d.environment_id")
    .innerJoin("releases as r", "r.id", "d.release_id")
    .innerJoin("projects as p", "p.id", "d.project_id")
    .select([
      "d.id",
      "d.environment_id",
      "d.release_id",
      "d.kind",
      "d.status",
      "d.reason",
      "d.created_by",
      "d.step_index",
      "d.step_attempt",
      "d.external_id",
      "d.external_url",
      "d.created_at",
      "d.started_at",
      "d.finished_at",
      "e.name as environment_name",
      "e.spec_json as environment_spec",
      "r.version as release_version",
      "p.slug as project_slug",
    ])
    .orderBy("d.created_at", "desc")
    .orderBy("d.id", "desc")
    .limit(filter.limit + 1);
  if (filter.projectId) query = query.where("d.project_id", "=", filter.projectId);
  if (filter.environmentId) query = query.where("d.environment_id", "=", filter.environmentId);
  if (filter.releaseIds) query = query.where("d.release_id", "in", filter.releaseIds.length ? filter.releaseIds : [""]);
  if (filter.status) query = query.where("d.status", "=", filter.status);
  const before = filter.before;
  if (before) {
    query = query.where((eb) => eb(eb.refTuple("d.created_at", "d.id"), "<", eb.tuple(before.at, before.id)));
  }
  return (await query.execute()).map(toListItem);
}

/** Queued deployments of an environment, oldest first: the order they run in. */
export async function listQueued(db: Queryable, environmentId: string): Promise<{ id: string; createdAt: string }[]> {
  const rows = await db
    .selectFrom("deployments")
    .select(["id", "created_at"])
    .where("environment_id", "=", environmentId)
    .where("status", "=", "queued")
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ id: r.id, createdAt: r.created_at }));
}

export async function hasRunning(db: Queryable, environmentId: string): Promise<boolean> {
  const row = await db
    .selectFrom("deployments")
    .select("id")
    .where("environment_id", "=", environmentId)
    .where("status", "=", "running")
    .executeTakeFirst();
  return row !== undefined;
}

/** Conditional update: applies only while the deployment is in one of `from`; returns whether it did. */
export async function updateDeployment(
  db: Queryable,
  id: string,
  options: { from?: DeploymentStatus[]; set: Updateable<DeploymentsTable>; at: string },
): Promise<boolean> {
  let query = db
    .updateTable("deployments")
    .set({ ...options.set, updated_at: options.at })
    .where("id", "=", id);
  if (options.from) query = query.where("status", "in", options.from);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Marks the environment's waiting deployments of *other* releases superseded; returns their ids. Never one of the same
 * release: a concurrent promote of it must collide on the unique index instead of replacing the first.
 */
export async function supersedeQueued(
  db: Queryable,
  options: { environmentId: string; releaseId: string; reason: string; at: string },
): Promise<string[]> {
  const { environmentId, reason, at } = options;
  const waiting = await db
    .selectFrom("deployments")
    .select("id")
    .where("environment_id", "=", environmentId)
    .where("release_id", "!=", options.releaseId)
    .where("status", "in", ["queued", "pending_gates", "pending_approval"])
    .execute();
  if (waiting.length === 0) return [];
  const ids = waiting.map((w) => w.id);
  await db
    .updateTable("deployments")
    .set({ status: "superseded", reason, finished_at: at, updated_at: at })
    .where("id", "in", ids)
    .where("status", "in", ["queued", "pending_gates", "pending_approval"])
    .execute();
  return ids;
}

export async function saveCallbackResult(db: Queryable, id: string, result: CallbackResult, at: string): Promise<boolean> {
  const update = await db
    .updateTable("deployments")
    .set({ callback_result: JSON.stringify(result), updated_at: at })
    .where("id", "=", id)
    .where("status", "=", "running")
    .where("callback_result", "is", null)
    .executeTakeFirst();
  return Number(update.numUpdatedRows) === 1;
}

/** Serialises decisions on one deployment: a row lock on PostgreSQL; SQLite's write transaction already excludes others. */
export async function lockDeployment(db: Queryable, id: string, rowLocks: boolean): Promise<void> {
  const query = db.selectFrom("deployments").select("id").where("id", "=", id);
  await (rowLocks ? query.forUpdate() : query).execute();
}

export async function listPendingApproval(
  db: Queryable,
  projectIds: string[] | null,
  limit: number,
): Promise<DeploymentRecord[]> {
  let query = joined(db).where("d.status", "=", "pending_approval").orderBy("d.created_at", "desc").limit(limit);
  if (projectIds) query = query.where("d.project_id", "in", projectIds.length ? projectIds : [""]);
  return (await query.execute()).map(toDeployment);
}
