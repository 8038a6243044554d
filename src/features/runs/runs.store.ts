import type { Selectable } from "kysely";
import type { RunsTable } from "../../db/schema.runs.ts";
import type { Queryable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { RunRecord, RunStatus } from "./runs.types.ts";

function toRecord(row: Selectable<RunsTable>): RunRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    environment: row.environment,
    releaseVersion: row.release_version,
    commitSha: row.commit_sha,
    deploymentId: row.deployment_id,
    externalId: row.external_id,
    attributes: row.attributes_json ? (JSON.parse(row.attributes_json) as Record<string, string>) : {},
    status: row.status as RunStatus,
    createdBy: row.created_by,
    createdAt: row.created_at,
    endedAt: row.ended_at,
    purgedAt: row.purged_at,
  };
}

export async function insertRun(db: Queryable, run: RunRecord, tokenHash: string): Promise<void> {
  await db
    .insertInto("runs")
    .values({
      id: run.id,
      project_id: run.projectId,
      name: run.name,
      environment: run.environment,
      release_version: run.releaseVersion,
      commit_sha: run.commitSha,
      deployment_id: run.deploymentId,
      external_id: run.externalId,
      attributes_json: Object.keys(run.attributes).length ? JSON.stringify(run.attributes) : null,
      status: run.status,
      ingest_token_hash: tokenHash,
      created_by: run.createdBy,
      created_at: run.createdAt,
      ended_at: run.endedAt,
      updated_at: run.createdAt,
      purged_at: null,
    })
    .execute();
}

export async function findRun(db: Queryable, id: string): Promise<RunRecord | undefined> {
  const row = await db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toRecord(row);
}

export async function findRunByTokenHash(db: Queryable, hash: string): Promise<RunRecord | undefined> {
  const row = await db.selectFrom("runs").selectAll().where("ingest_token_hash", "=", hash).executeTakeFirst();
  return row && toRecord(row);
}

export async function findRunByDeployment(db: Queryable, deploymentId: string): Promise<RunRecord | undefined> {
  const row = await db.selectFrom("runs").selectAll().where("deployment_id", "=", deploymentId).executeTakeFirst();
  return row && toRecord(row);
}

export async function listRuns(
  db: Queryable,
  filter: { projectId: string; name?: string; environment?: string; status?: RunStatus; commitSha?: string },
  page: { limit: number; cursor: Cursor | undefined },
): Promise<RunRecord[]> {
  let query = db.selectFrom("runs").selectAll().where("project_id", "=", filter.projectId);
  if (filter.name) query = query.where("name", "=", filter.name);
  if (filter.environment) query = query.where("environment", "=", filter.environment);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.commitSha) query = query.where("commit_sha", "=", filter.commitSha);
  const { cursor } = page;
  if (cursor) {
    query = query.where((eb) =>
      eb.or([eb("created_at", "<", cursor.at), eb.and([eb("created_at", "=", cursor.at), eb("id", "<", cursor.id)])]),
    );
  }
  const rows = await query
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(page.limit + 1)
    .execute();
  return rows.map(toRecord);
}

/** Running → ended; false when it had already ended (ending twice keeps the first outcome). */
export async function endRun(db: Queryable, id: string, status: RunStatus, at: string): Promise<boolean> {
  const result = await db
    .updateTable("runs")
    .set({ status, ended_at: at, updated_at: at })
    .where("id", "=", id)
    .where("status", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The run of the same job that ran before this one (same project, name and environment). */
export async function previousRun(db: Queryable, run: RunRecord): Promise<RunRecord | undefined> {
  let query = db
    .selectFrom("runs")
    .selectAll()
    .where("project_id", "=", run.projectId)
    .where("name", "=", run.name)
    .where("id", "!=", run.id)
    .where((eb) =>
      eb.or([eb("created_at", "<", run.createdAt), eb.and([eb("created_at", "=", run.createdAt), eb("id", "<", run.id)])]),
    );
  query = run.environment === null ? query.where("environment", "is", null) : query.where("environment", "=", run.environment);
  const row = await query.orderBy("created_at", "desc").orderBy("id", "desc").executeTakeFirst();
  return row && toRecord(row);
}

/** Runs of one release version in a project, newest first (for "same release in the previous environment"). */
export async function runsOfRelease(db: Queryable, projectId: string, releaseVersion: string): Promise<RunRecord[]> {
  const rows = await db
    .selectFrom("runs")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("release_version", "=", releaseVersion)
    .orderBy("created_at", "desc")
    .limit(100)
    .execute();
  return rows.map(toRecord);
}

/** Sets the hash of the run's ingest token, unless it is that already (no write then). */
export async function setTokenHash(db: Queryable, runId: string, tokenHash: string): Promise<void> {
  await db
    .updateTable("runs")
    .set({ ingest_token_hash: tokenHash })
    .where("id", "=", runId)
    .where("ingest_token_hash", "<>", tokenHash)
    .execute();
}
