import type { Kysely } from "kysely";

// Signed approval links (single use) and the server's own secrets, kept in the database so every replica shares them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("server_secrets")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("approval_link_uses")
    .addColumn("nonce", "text", (c) => c.primaryKey())
    .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id").onDelete("cascade"))
    .addColumn("used_by", "text", (c) => c.notNull())
    .addColumn("used_at", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("approval_link_uses").ifExists().execute();
  await db.schema.dropTable("server_secrets").ifExists().execute();
}
