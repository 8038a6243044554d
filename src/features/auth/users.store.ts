import type { UsersTable } from "../../db/schema.auth.ts";
import type { Queryable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { Role } from "../../shared/roles.ts";
import { type Membership, toRole, type UserRecord } from "./users.types.ts";

function toUser(row: UsersTable): UserRecord {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    passwordHash: row.password_hash,
    globalAdmin: row.global_admin === 1,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    oidc: row.oidc_issuer !== null && row.oidc_subject !== null ? { issuer: row.oidc_issuer, subject: row.oidc_subject } : null,
    groups: row.groups_json === null ? [] : (JSON.parse(row.groups_json) as string[]),
  };
}

export async function insertUser(db: Queryable, user: UserRecord): Promise<void> {
  await db
    .insertInto("users")
    .values({
      id: user.id,
      username: user.username,
      display_name: user.displayName,
      email: user.email,
      password_hash: user.passwordHash,
      global_admin: user.globalAdmin ? 1 : 0,
      disabled: user.disabled ? 1 : 0,
      created_at: user.createdAt,
      oidc_issuer: user.oidc?.issuer ?? null,
      oidc_subject: user.oidc?.subject ?? null,
      groups_json: user.oidc ? JSON.stringify(user.groups) : null,
    })
    .execute();
}

export async function findUserByOidcIdentity(
  db: Queryable,
  identity: { issuer: string; subject: string },
): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("oidc_issuer", "=", identity.issuer)
    .where("oidc_subject", "=", identity.subject)
    .executeTakeFirst();
  return row ? toUser(row) : undefined;
}

/** What the identity provider says of the user at each sign-in: identity (linking a pre-created user), profile, groups. */
export async function updateOidcProfile(
  db: Queryable,
  userId: string,
  profile: {
    oidc: { issuer: string; subject: string };
    displayName: string | null;
    email: string | null;
    groups: string[];
    globalAdmin: boolean;
  },
): Promise<void> {
  await db
    .updateTable("users")
    .set({
      oidc_issuer: profile.oidc.issuer,
      oidc_subject: profile.oidc.subject,
      display_name: profile.displayName,
      email: profile.email,
      groups_json: JSON.stringify(profile.groups),
      global_admin: profile.globalAdmin ? 1 : 0,
    })
    .where("id", "=", userId)
    .execute();
}

export async function setDisabled(db: Queryable, userId: string, disabled: boolean): Promise<void> {
  await db
    .updateTable("users")
    .set({ disabled: disabled ? 1 : 0 })
    .where("id", "=", userId)
    .execute();
}

export async function findUserByUsername(db: Queryable, username: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();
  return row ? toUser(row) : undefined;
}

export async function findUserById(db: Queryable, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toUser(row) : undefined;
}

/** Alphabetical by username, `limit + 1` rows so the caller knows whether another page follows. */
export async function listUsers(db: Queryable, page: { limit: number; after: Cursor | undefined }): Promise<UserRecord[]> {
  let query = db
    .selectFrom("users")
    .selectAll()
    .orderBy("username")
    .limit(page.limit + 1);
  if (page.after) query = query.where("username", ">", page.after.at);
  return (await query.execute()).map(toUser);
}

export async function countUsers(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updatePasswordHash(db: Queryable, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", userId).execute();
}

export async function upsertMembership(db: Queryable, membership: Membership): Promise<void> {
  await db
    .insertInto("project_members")
    .values({
      project_id: membership.projectId,
      user_id: membership.userId,
      role: membership.role,
      created_at: membership.createdAt,
    })
    .onConflict((oc) => oc.columns(["project_id", "user_id"]).doUpdateSet({ role: membership.role }))
    .execute();
}

/** True when there was a membership to remove. */
export async function deleteMembership(db: Queryable, projectId: string, userId: string): Promise<boolean> {
  const result = await db
    .deleteFrom("project_members")
    .where("project_id", "=", projectId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function membershipsOfUser(db: Queryable, userId: string): Promise<Membership[]> {
  const rows = await db.selectFrom("project_members").selectAll().where("user_id", "=", userId).execute();
  return rows.map((row) => ({
    projectId: row.project_id,
    userId: row.user_id,
    role: toRole(row.role),
    createdAt: row.created_at,
  }));
}

export async function membersOfProject(
  db: Queryable,
  projectId: string,
): Promise<Array<{ username: string; displayName: string | null; role: Role; createdAt: string }>> {
  const rows = await db
    .selectFrom("project_members")
    .innerJoin("users", "users.id", "project_members.user_id")
    .select(["users.username", "users.display_name", "project_members.role", "project_members.created_at"])
    .where("project_members.project_id", "=", projectId)
    .orderBy("users.username")
    .execute();
  return rows.map((row) => ({
    username: row.username,
    displayName: row.display_name,
    role: toRole(row.role),
    createdAt: row.created_at,
  }));
}
