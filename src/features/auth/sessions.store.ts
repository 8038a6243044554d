import { sql } from "kysely";
import type { Queryable } from "../../db/schema.ts";
import type { SessionRecord } from "./users.types.ts";

export async function insertSession(db: Queryable, session: SessionRecord & { tokenHash: string }): Promise<void> {
  await db
    .insertInto("sessions")
    .values({
      id: session.id,
      user_id: session.userId,
      token_hash: session.tokenHash,
      csrf_token: session.csrfToken,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      last_seen_at: session.lastSeenAt,
    })
    .execute();
}

export async function findSessionByHash(db: Queryable, tokenHash: string): Promise<SessionRecord | undefined> {
  const row = await db.selectFrom("sessions").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
  };
}

export async function extendSession(db: Queryable, id: string, fields: { lastSeenAt: string; expiresAt: string }): Promise<void> {
  await db
    .updateTable("sessions")
    .set({ last_seen_at: fields.lastSeenAt, expires_at: fields.expiresAt })
    .where("id", "=", id)
    .execute();
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom("sessions").where("id", "=", id).execute();
}

/** Ends every session of a user (disabled): true when there was one. */
export async function deleteSessionsOfUser(db: Queryable, userId: string): Promise<number> {
  const result = await db.deleteFrom("sessions").where("user_id", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteExpiredSessions(db: Queryable, now: string): Promise<void> {
  await db.deleteFrom("sessions").where("expires_at", "<=", now).execute();
}

/** Failures of `username` counted in the window that started at or after `windowStart`; 0 when none. */
export async function loginFailures(db: Queryable, username: string, windowStart: string): Promise<number> {
  const row = await db
    .selectFrom("login_failures")
    .select("failures")
    .where("username", "=", username)
    .where("window_started_at", ">", windowStart)
    .executeTakeFirst();
  return row?.failures ?? 0;
}

/** Counts one failure: in the running window, or in a new one when the last has ended. One statement, so replicas agree. */
export async function recordLoginFailure(
  db: Queryable,
  input: { username: string; now: string; windowStart: string },
): Promise<void> {
  await db
    .insertInto("login_failures")
    .values({ username: input.username, failures: 1, window_started_at: input.now })
    .onConflict((oc) =>
      oc.column("username").doUpdateSet({
        failures: sql<number>`case when login_failures.window_started_at > ${input.windowStart} then login_failures.failures + 1 else 1 end`,
        window_started_at: sql<string>`case when login_failures.window_started_at > ${input.windowStart} then login_failures.window_started_at else ${input.now} end`,
      }),
    )
    .execute();
}

export async function clearLoginFailures(db: Queryable, username: string): Promise<void> {
  await db.deleteFrom("login_failures").where("username", "=", username).execute();
}

/** Forgets windows that ended long ago, so usernames tried once do not pile up. */
export async function deleteStaleLoginFailures(db: Queryable, windowStart: string): Promise<void> {
  await db.deleteFrom("login_failures").where("window_started_at", "<=", windowStart).execute();
}
