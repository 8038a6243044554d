import type { Kysely } from "kysely";

// OIDC sign-in: users remember the identity (issuer + subject) and groups the provider last reported; a sign-in in
// progress (state → PKCE verifier, nonce) lives in the database so the callback may land on any replica.
export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema.alterTable("users").addColumn("oidc_issuer", "text").execute();
  await db.schema.alterTable("users").addColumn("oidc_subject", "text").execute();
  await db.schema.alterTable("users").addColumn("groups_json", "text").execute();
  // Every OIDC callback finds its user by identity; NULLs (local users) do not collide on either dialect.
  await db.schema.createIndex("users_oidc_identity_idx").unique().on("users").columns(["oidc_issuer", "oidc_subject"]).execute();

  await db.schema
    .createTable("oidc_logins")
    .addColumn("state_hash", "text", (c) => c.primaryKey())
    .addColumn("code_verifier", "text", (c) => c.notNull())
    .addColumn("nonce", "text", (c) => c.notNull())
    .addColumn("return_to", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
  // Abandoned sign-ins are deleted by expiry time.
  await db.schema.createIndex("oidc_logins_expires_idx").on("oidc_logins").column("expires_at").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("oidc_logins").ifExists().execute();
  await db.schema.dropIndex("users_oidc_identity_idx").ifExists().execute();
  for (const column of ["groups_json", "oidc_subject", "oidc_issuer"]) {
    await db.schema.alterTable("users").dropColumn(column).execute();
  }
}
