import type { Queryable } from "./schema.ts";

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
