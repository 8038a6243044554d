import type { FlagSdkKeysTable } from "../../db/schema.flags.ts";
import type { Queryable } from "../../db/schema.ts";
import type { SdkKeyRecord } from "./flags.types.ts";

function toSdkKey(row: FlagSdkKeysTable): SdkKeyRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    environmentId: row.environment_id,
    name: row.name,
    keyHash: row.key_hash,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

// ── SDK keys ──────────────────────────────────────────────────────────────────────────────────────────────────────
export async function insertSdkKey(db: Queryable, key: SdkKeyRecord): Promise<void> {
  await db
    .insertInto("flag_sdk_keys")
    .values({
      id: key.id,
      project_id: key.projectId,
      environment_id: key.environmentId,
      name: key.name,
      key_hash: key.keyHash,
      created_by: key.createdBy,
      created_at: key.createdAt,
      revoked_at: key.revokedAt,
    })
    .execute();
}

export async function findSdkKeyByHash(db: Queryable, keyHash: string): Promise<SdkKeyRecord | undefined> {
  const row = await db.selectFrom("flag_sdk_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst();
  return row ? toSdkKey(row) : undefined;
}

export async function findSdkKey(db: Queryable, id: string): Promise<SdkKeyRecord | undefined> {
  const row = await db.selectFrom("flag_sdk_keys").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toSdkKey(row) : undefined;
}

export async function listSdkKeys(db: Queryable, projectId: string): Promise<SdkKeyRecord[]> {
  const rows = await db
    .selectFrom("flag_sdk_keys")
    .selectAll()
    .where("project_id", "=", projectId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .execute();
  return rows.map(toSdkKey);
}

export async function revokeSdkKey(db: Queryable, id: string, at: string): Promise<void> {
  await db.updateTable("flag_sdk_keys").set({ revoked_at: at }).where("id", "=", id).where("revoked_at", "is", null).execute();
}
