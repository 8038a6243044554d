import type { Queryable } from "../../db/schema.ts";

// ── release manifests ─────────────────────────────────────────────────────────────────────────────────────────────
export async function upsertManifest(
  db: Queryable,
  row: { releaseId: string; projectId: string; manifest: unknown; createdBy: string | null; createdAt: string },
): Promise<void> {
  const values = { manifest_json: JSON.stringify(row.manifest), created_by: row.createdBy, created_at: row.createdAt };
  await db
    .insertInto("flag_release_manifests")
    .values({ release_id: row.releaseId, project_id: row.projectId, ...values })
    .onConflict((oc) => oc.column("release_id").doUpdateSet(values))
    .execute();
}

export async function findManifest(db: Queryable, releaseId: string): Promise<unknown | undefined> {
  const row = await db
    .selectFrom("flag_release_manifests")
    .select("manifest_json")
    .where("release_id", "=", releaseId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.manifest_json) as unknown) : undefined;
}

export interface ReleaseApplication {
  deploymentId: string;
  environmentId: string;
  releaseId: string;
  kind: string;
  versionBefore: number;
  versionAfter: number;
  createdAt: string;
}

export async function insertApplication(db: Queryable, a: ReleaseApplication): Promise<void> {
  await db
    .insertInto("flag_release_applications")
    .values({
      deployment_id: a.deploymentId,
      environment_id: a.environmentId,
      release_id: a.releaseId,
      kind: a.kind,
      version_before: a.versionBefore,
      version_after: a.versionAfter,
      created_at: a.createdAt,
    })
    .execute();
}

export async function lastApplication(db: Queryable, environmentId: string): Promise<ReleaseApplication | undefined> {
  const row = await db
    .selectFrom("flag_release_applications")
    .selectAll()
    .where("environment_id", "=", environmentId)
    .orderBy("created_at", "desc")
    .orderBy("deployment_id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row
    ? {
        deploymentId: row.deployment_id,
        environmentId: row.environment_id,
        releaseId: row.release_id,
        kind: row.kind,
        versionBefore: Number(row.version_before),
        versionAfter: Number(row.version_after),
        createdAt: row.created_at,
      }
    : undefined;
}
