import type { Queryable } from "../../db/schema.ts";

/** Returns the named secret, creating it with `fresh` the first time (whichever replica comes first wins). */
export async function serverSecret(db: Queryable, name: string, fresh: string, at: string): Promise<string> {
  await db
    .insertInto("server_secrets")
    .values({ name, value: fresh, created_at: at })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await db.selectFrom("server_secrets").select("value").where("name", "=", name).executeTakeFirstOrThrow();
  return row.value;
}

/** Marks a link used; false when it already was. */
export async function consumeLink(
  db: Queryable,
  use: { nonce: string; deploymentId: string; usedBy: string; at: string },
): Promise<boolean> {
  const result = await db
    .insertInto("approval_link_uses")
    .values({ nonce: use.nonce, deployment_id: use.deploymentId, used_by: use.usedBy, used_at: use.at })
    .onConflict((oc) => oc.column("nonce").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function releaseLink(db: Queryable, nonce: string): Promise<void> {
  await db.deleteFrom("approval_link_uses").where("nonce", "=", nonce).execute();
}
