import type { Queryable } from "../db/schema.ts";

export interface StoredResponse {
  fingerprint: string;
  statusCode: number;
  body: unknown;
}

export async function findResponse(db: Queryable, scope: string, key: string): Promise<StoredResponse | undefined> {
  const row = await db
    .selectFrom("idempotency_keys")
    .selectAll()
    .where("scope", "=", scope)
    .where("key", "=", key)
    .executeTakeFirst();
  return row
    ? { fingerprint: row.fingerprint, statusCode: row.status_code, body: JSON.parse(row.response_json) as unknown }
    : undefined;
}

/** Returns false when another request stored a response for this key first. */
export async function saveResponse(
  db: Queryable,
  entry: { scope: string; key: string; at: string } & StoredResponse,
): Promise<boolean> {
  const result = await db
    .insertInto("idempotency_keys")
    .values({
      scope: entry.scope,
      key: entry.key,
      fingerprint: entry.fingerprint,
      status_code: entry.statusCode,
      response_json: JSON.stringify(entry.body),
      created_at: entry.at,
    })
    .onConflict((oc) => oc.columns(["scope", "key"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function deleteResponsesBefore(db: Queryable, before: string): Promise<void> {
  await db.deleteFrom("idempotency_keys").where("created_at", "<", before).execute();
}
