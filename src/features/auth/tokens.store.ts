import type { Queryable } from "../../db/schema.ts";
import type { ApiToken } from "./tokens.types.ts";

export async function insertToken(db: Queryable, token: ApiToken & { tokenHash: string }): Promise<void> {
  await db
    .insertInto("api_tokens")
    .values({
      id: token.id,
      name: token.name,
      token_hash: token.tokenHash,
      role: token.role,
      created_by: token.createdBy,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
}

export async function findTokenByHash(
  db: Queryable,
  tokenHash: string,
): Promise<(ApiToken & { revokedAt: string | null; lastUsedAt: string | null }) | undefined> {
  const row = await db.selectFrom("api_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    role: "admin",
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function touchToken(db: Queryable, id: string, at: string): Promise<void> {
  await db.updateTable("api_tokens").set({ last_used_at: at }).where("id", "=", id).execute();
}

export async function countTokens(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom("api_tokens")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
