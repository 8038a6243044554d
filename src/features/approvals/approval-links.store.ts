import type { Queryable } from "../../db/schema.ts";

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
