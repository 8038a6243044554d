import { type Kysely, sql } from "kysely";

// Users, project memberships, browser sessions, the sign-in limiter; API tokens gain a kind, an owner and a project scope.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("username", "text", (c) => c.notNull().unique())
    .addColumn("display_name", "text")
    .addColumn("email", "text")
    .addColumn("password_hash", "text")
    .addColumn("global_admin", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("project_members")
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("project_members_pk", ["project_id", "user_id"])
    .execute();
  // Every request of a user reads their memberships; the primary key serves the per-project list.
  await db.schema.createIndex("project_members_user_idx").on("project_members").column("user_id").execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("csrf_token", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("last_seen_at", "text", (c) => c.notNull())
    .execute();
  // Expired sessions are deleted by expiry time.
  await db.schema.createIndex("sessions_expires_idx").on("sessions").column("expires_at").execute();
  await db.schema.createIndex("sessions_user_idx").on("sessions").column("user_id").execute();

  await db.schema
    .createTable("login_failures")
    .addColumn("username", "text", (c) => c.primaryKey())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("window_started_at", "text", (c) => c.notNull())
    .execute();

  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema
    .alterTable("api_tokens")
    .addColumn("kind", "text", (c) => c.notNull().defaultTo("service"))
    .execute();
  // No foreign key: SQLite could not drop the column again in `down`; a token whose user is gone no longer authenticates.
  await db.schema.alterTable("api_tokens").addColumn("user_id", "text").execute();
  await db.schema.alterTable("api_tokens").addColumn("projects_json", "text").execute();
  await db.schema
    .alterTable("api_tokens")
    .addColumn("global_admin", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  // Before roles every token could do everything; tokens handed out then keep working as before.
  await sql`update api_tokens set global_admin = 1`.execute(db);
  // "My tokens" (personal, by owner) and "all tokens" (global admins), newest first.
  await db.schema.createIndex("api_tokens_user_idx").on("api_tokens").columns(["user_id", "created_at", "id"]).execute();
  await db.schema.createIndex("api_tokens_created_idx").on("api_tokens").columns(["created_at", "id"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("api_tokens_created_idx").ifExists().execute();
  await db.schema.dropIndex("api_tokens_user_idx").ifExists().execute();
  for (const column of ["global_admin", "projects_json", "user_id", "kind"]) {
    await db.schema.alterTable("api_tokens").dropColumn(column).execute();
  }
  for (const table of ["login_failures", "sessions", "project_members", "users"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
