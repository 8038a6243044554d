import type { SecretsTable } from "../../db/schema.secrets.ts";
import type { Queryable } from "../../db/schema.ts";

/** Metadata of a stored secret: everything but the value. */
export interface SecretMeta {
  id: string;
  projectId: string;
  environment: string;
  name: string;
  keyId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string | null;
}

export interface SecretRow extends SecretMeta {
  ciphertext: string;
}

function toRow(row: SecretsTable): SecretRow {
  return {
    id: row.id,
    projectId: row.project_id,
    environment: row.environment,
    name: row.name,
    keyId: row.key_id,
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    ciphertext: row.ciphertext,
  };
}

function toMeta(row: SecretRow): SecretMeta {
  const { ciphertext: _value, ...meta } = row;
  return meta;
}

export async function findSecret(
  db: Queryable,
  scope: { projectId: string; environment: string; name: string },
): Promise<SecretRow | undefined> {
  const row = await db
    .selectFrom("secrets")
    .selectAll()
    .where("project_id", "=", scope.projectId)
    .where("environment", "=", scope.environment)
    .where("name", "=", scope.name)
    .executeTakeFirst();
  return row ? toRow(row) : undefined;
}

export async function insertSecret(db: Queryable, row: SecretsTable): Promise<void> {
  await db.insertInto("secrets").values(row).execute();
}

export async function updateSecret(
  db: Queryable,
  id: string,
  set: Pick<SecretsTable, "ciphertext" | "key_id" | "version" | "updated_at" | "updated_by">,
): Promise<void> {
  await db.updateTable("secrets").set(set).where("id", "=", id).execute();
}

export async function deleteSecret(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom("secrets").where("id", "=", id).execute();
}

/** A project's secrets, by environment ("" first) then name; metadata only. */
export async function listSecrets(db: Queryable, projectId: string): Promise<SecretMeta[]> {
  const rows = await db
    .selectFrom("secrets")
    .selectAll()
    .where("project_id", "=", projectId)
    .orderBy("environment")
    .orderBy("name")
    .execute();
  return rows.map((row) => toMeta(toRow(row)));
}

/** The named secrets a step may use: the environment's own and the project-wide ones. */
export async function secretsFor(
  db: Queryable,
  options: { projectId: string; environment: string; names: string[] },
): Promise<SecretRow[]> {
  if (options.names.length === 0) return [];
  const rows = await db
    .selectFrom("secrets")
    .selectAll()
    .where("project_id", "=", options.projectId)
    .where("environment", "in", ["", options.environment])
    .where("name", "in", options.names)
    .execute();
  return rows.map(toRow);
}
