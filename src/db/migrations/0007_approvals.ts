import type { Kysely } from "kysely";

// One decision per person per deployment: approvals bind to the deployment (and record the release digest).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("approval_decisions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("username", "text", (c) => c.notNull())
    .addColumn("decision", "text", (c) => c.notNull())
    .addColumn("comment", "text")
    .addColumn("groups_json", "text", (c) => c.notNull())
    .addColumn("release_digest", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("approval_decisions_one_per_user_uq", ["deployment_id", "user_id"])
    .execute();
  await db.schema.createIndex("deployments_status_idx").on("deployments").columns(["status", "created_at"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("approval_decisions").ifExists().execute();
  await db.schema.dropIndex("deployments_status_idx").ifExists().execute();
}
