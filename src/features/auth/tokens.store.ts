import type { ApiTokensTable, Queryable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { ApiToken } from "./tokens.types.ts";
import { toRole } from "./users.types.ts";

function toToken(row: ApiTokensTable): ApiToken {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind === "personal" ? "personal" : "service",
    role: toRole(row.role),
    userId: row.user_id,
    projectIds: row.projects_json === null ? null : (JSON.parse(row.projects_json) as string[]),
    globalAdmin: row.global_admin === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

export async function insertToken(db: Queryable, token: ApiToken & { tokenHash: string }): Promise<void> {
  await db
    .insertInto("api_tokens")
    .values({
      id: token.id,
      name: token.name,
      token_hash: token.tokenHash,
      kind: token.kind,
      role: token.role,
      user_id: token.userId,
      projects_json: token.projectIds === null ? null : JSON.stringify(token.projectIds),
      global_admin: token.globalAdmin ? 1 : 0,
      created_by: token.createdBy,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
}

export async function findTokenByHash(db: Queryable, tokenHash: string): Promise<ApiToken | undefined> {
  const row = await db.selectFrom("api_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  return row ? toToken(row) : undefined;
}

export async function findTokenById(db: Queryable, id: string): Promise<ApiToken | undefined> {
  const row = await db.selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toToken(row) : undefined;
}

/** Newest first, `limit + 1` rows; only `userId`'s tokens when given. */
export async function listTokens(
  db: Queryable,
  page: { limit: number; after: Cursor | undefined; userId?: string },
): Promise<ApiToken[]> {
  let query = db
    .selectFrom("api_tokens")
    .selectAll()
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(page.limit + 1);
  if (page.userId !== undefined) query = query.where("user_id", "=", page.userId);
  const after = page.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([eb("created_at", "<", after.at), eb.and([eb("created_at", "=", after.at), eb("id", "<", after.id)])]),
    );
  }
  return (await query.execute()).map(toToken);
}

export async function revokeToken(db: Queryable, id: string, at: string): Promise<void> {
  await db.updateTable("api_tokens").set({ revoked_at: at }).where("id", "=", id).where("revoked_at", "is", null).execute();
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
