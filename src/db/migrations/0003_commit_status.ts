import type { Kysely } from "kysely";

// Commit statuses posted to GitHub/GitLab for completed report runs: one row per run, updated on every attempt.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("commit_status_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("run_id", "text", (c) => c.notNull().references("report_runs.id").onDelete("cascade"))
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("sha", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  // A run's deliveries; a project's newest first (keyset on created_at, id).
  await db.schema.createIndex("commit_status_deliveries_run_idx").on("commit_status_deliveries").column("run_id").execute();
  await db.schema
    .createIndex("commit_status_deliveries_project_idx")
    .on("commit_status_deliveries")
    .columns(["project_id", "created_at", "id"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("commit_status_deliveries").ifExists().execute();
}
