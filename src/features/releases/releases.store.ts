import type { Queryable, ReleasesTable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { ReleaseRecord } from "./releases.types.ts";

function toRelease(row: ReleasesTable): ReleaseRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    version: row.version,
    commitSha: row.commit_sha,
    branch: row.branch,
    artifactUrl: row.artifact_url,
    artifactDigest: row.artifact_digest,
    notes: row.notes,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

export async function insertRelease(db: Queryable, release: ReleaseRecord): Promise<void> {
  await db
    .insertInto("releases")
    .values({
      id: release.id,
      project_id: release.projectId,
      version: release.version,
      commit_sha: release.commitSha,
      branch: release.branch,
      artifact_url: release.artifactUrl,
      artifact_digest: release.artifactDigest,
      notes: release.notes,
      created_by: release.createdBy,
      created_at: release.createdAt,
    })
    .execute();
}

export async function findRelease(db: Queryable, projectId: string, version: string): Promise<ReleaseRecord | undefined> {
  const row = await db
    .selectFrom("releases")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("version", "=", version)
    .executeTakeFirst();
  return row ? toRelease(row) : undefined;
}

export async function findReleaseById(db: Queryable, id: string): Promise<ReleaseRecord | undefined> {
  const row = await db.selectFrom("releases").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toRelease(row) : undefined;
}

export async function findReleasesByIds(db: Queryable, ids: string[]): Promise<ReleaseRecord[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom("releases").selectAll().where("id", "in", ids).execute()).map(toRelease);
}

/** Newest first; `limit + 1` rows so the caller knows whether another page follows. */
export async function listReleases(
  db: Queryable,
  projectId: string,
  page: { limit: number; before: Cursor | undefined },
): Promise<ReleaseRecord[]> {
  let query = db
    .selectFrom("releases")
    .selectAll()
    .where("project_id", "=", projectId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(page.limit + 1);
  const before = page.before;
  if (before) {
    query = query.where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.tuple(before.at, before.id)));
  }
  return (await query.execute()).map(toRelease);
}
