import type { Queryable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";

/** Read model for the dashboard: a few narrow queries over releases, deployments and approval decisions. */

export interface ReleaseRow {
  id: string;
  version: string;
  commitSha: string;
  branch: string;
  createdAt: string;
  createdBy: string | null;
}

export async function listReleases(
  db: Queryable,
  input: { projectId: string; limit: number; before: Cursor | undefined },
): Promise<ReleaseRow[]> {
  let query = db
    .selectFrom("releases")
    .select(["id", "version", "commit_sha", "branch", "created_at", "created_by"])
    .where("project_id", "=", input.projectId);
  const before = input.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([eb("created_at", "<", before.at), eb.and([eb("created_at", "=", before.at), eb("id", "<", before.id)])]),
    );
  }
  const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(input.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    commitSha: r.commit_sha,
    branch: r.branch,
    createdAt: r.created_at,
    createdBy: r.created_by,
  }));
}

export interface DeploymentRow {
  id: string;
  releaseId: string;
  environmentId: string;
  kind: string;
  status: string;
  createdBy: string | null;
  createdAt: string;
  finishedAt: string | null;
}

const deploymentColumns = [
  "id",
  "release_id",
  "environment_id",
  "kind",
  "status",
  "created_by",
  "created_at",
  "finished_at",
] as const;

type RawDeployment = {
  id: string;
  release_id: string;
  environment_id: string;
  kind: string;
  status: string;
  created_by: string | null;
  created_at: string;
  finished_at: string | null;
};

const toRow = (r: RawDeployment): DeploymentRow => ({
  id: r.id,
  releaseId: r.release_id,
  environmentId: r.environment_id,
  kind: r.kind,
  status: r.status,
  createdBy: r.created_by,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

/** Deployments of the given releases, newest first (uses deployments_release_idx). */
export async function deploymentsOfReleases(db: Queryable, releaseIds: string[]): Promise<DeploymentRow[]> {
  if (releaseIds.length === 0) return [];
  const rows = await db
    .selectFrom("deployments")
    .select(deploymentColumns)
    .where("release_id", "in", releaseIds)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  return rows.map(toRow);
}

export interface PendingRow extends DeploymentRow {
  version: string;
  approvals: number;
}

/** Deployments of a project waiting for approval, with how many approvals each has so far. */
export async function pendingApprovals(db: Queryable, projectId: string): Promise<PendingRow[]> {
  const rows = await db
    .selectFrom("deployments as d")
    .innerJoin("releases as r", "r.id", "d.release_id")
    .select(["d.id", "d.release_id", "d.environment_id", "d.kind", "d.status", "d.created_by", "d.created_at", "d.finished_at"])
    .select("r.version")
    .select((eb) =>
      eb
        .selectFrom("approval_decisions as a")
        .whereRef("a.deployment_id", "=", "d.id")
        .where("a.decision", "=", "approve")
        .select((inner) => inner.fn.countAll<number>().as("n"))
        .as("approvals"),
    )
    .where("d.project_id", "=", projectId)
    .where("d.status", "=", "pending_approval")
    .orderBy("d.created_at", "desc")
    .execute();
  return rows.map((r) => ({ ...toRow(r), version: r.version, approvals: Number(r.approvals ?? 0) }));
}

export interface FinishedDeployment {
  kind: string;
  status: string;
  createdAt: string;
  finishedAt: string;
  releaseCreatedAt: string;
}

/** Deployments of one environment that finished in [from, to), oldest first, with their release's creation time. */
export async function finishedInEnvironment(
  db: Queryable,
  input: { environmentId: string; from: string; to: string },
): Promise<FinishedDeployment[]> {
  const rows = await db
    .selectFrom("deployments as d")
    .innerJoin("releases as r", "r.id", "d.release_id")
    .select(["d.kind", "d.status", "d.created_at", "d.finished_at", "r.created_at as release_created_at"])
    .where("d.environment_id", "=", input.environmentId)
    .where("d.status", "in", ["succeeded", "failed", "errored"])
    .where("d.finished_at", ">=", input.from)
    .where("d.finished_at", "<", input.to)
    .orderBy("d.finished_at", "asc")
    .execute();
  return rows.flatMap((r) =>
    r.finished_at
      ? [
          {
            kind: r.kind,
            status: r.status,
            createdAt: r.created_at,
            finishedAt: r.finished_at,
            releaseCreatedAt: r.release_created_at,
          },
        ]
      : [],
  );
}

export async function findRelease(
  db: Queryable,
  projectId: string,
  version: string,
): Promise<{ id: string; commitSha: string } | undefined> {
  const row = await db
    .selectFrom("releases")
    .select(["id", "commit_sha"])
    .where("project_id", "=", projectId)
    .where("version", "=", version)
    .executeTakeFirst();
  return row ? { id: row.id, commitSha: row.commit_sha } : undefined;
}

export async function environmentsWhereSucceeded(db: Queryable, releaseId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("deployments")
    .select("environment_id")
    .distinct()
    .where("release_id", "=", releaseId)
    .where("status", "=", "succeeded")
    .execute();
  return rows.map((r) => r.environment_id);
}

/** The deployment running in each of the environments (at most one each, by a unique index). */
export async function runningIn(db: Queryable, environmentIds: string[]): Promise<Map<string, { id: string; version: string }>> {
  if (environmentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("deployments as d")
    .innerJoin("releases as r", "r.id", "d.release_id")
    .select(["d.id", "d.environment_id", "r.version"])
    .where("d.environment_id", "in", environmentIds)
    .where("d.status", "=", "running")
    .execute();
  return new Map(rows.map((r) => [r.environment_id, { id: r.id, version: r.version }]));
}

export interface EnvironmentDeployment {
  id: string;
  environmentId: string;
  version: string;
  kind: string;
  status: string;
  reason: string | null;
  stepIndex: number;
  stepAttempt: number;
  externalId: string | null;
  externalUrl: string | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * Per environment of a project, its latest deployment (`last`) and its latest succeeded one (`current`), in two
 * queries whatever the number of environments: each picks one id per environment with a correlated subquery.
 */
export async function environmentStates(
  db: Queryable,
  projectId: string,
): Promise<{ last: EnvironmentDeployment[]; current: EnvironmentDeployment[] }> {
  const pick = (succeeded: boolean) =>
    db
      .selectFrom("deployments as d")
      .innerJoin("releases as r", "r.id", "d.release_id")
      .select([
        "d.id",
        "d.environment_id",
        "r.version",
        "d.kind",
        "d.status",
        "d.reason",
        "d.step_index",
        "d.step_attempt",
        "d.external_id",
        "d.external_url",
        "d.created_by",
        "d.created_at",
        "d.started_at",
        "d.finished_at",
      ])
      .where("d.id", "in", (eb) =>
        eb
          .selectFrom("environments as e")
          .where("e.project_id", "=", projectId)
          .select((inner) => {
            let latest = inner.selectFrom("deployments as x").select("x.id").whereRef("x.environment_id", "=", "e.id");
            latest = succeeded
              ? latest.where("x.status", "=", "succeeded").orderBy("x.finished_at", "desc")
              : latest.orderBy("x.created_at", "desc");
            return latest.orderBy("x.id", "desc").limit(1).as("id");
          }),
      )
      .execute();
  const [last, current] = await Promise.all([pick(false), pick(true)]);
  const toState = (r: Awaited<ReturnType<typeof pick>>[number]): EnvironmentDeployment => ({
    id: r.id,
    environmentId: r.environment_id,
    version: r.version,
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    stepIndex: r.step_index,
    stepAttempt: r.step_attempt,
    externalId: r.external_id,
    externalUrl: r.external_url,
    createdBy: r.created_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  });
  return { last: last.map(toState), current: current.map(toState) };
}
