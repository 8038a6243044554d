import type { Kysely } from "kysely";

// The notification outbox: one row per event × channel, written with the change it reports, updated on every attempt.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("notification_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("channel_type", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("event_json", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("next_attempt_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("delivered_at", "text")
    .execute();
  // The list query, newest first (keyset on created_at, id): by project, by project and status, by status, or all.
  await db.schema
    .createIndex("notification_deliveries_project_idx")
    .on("notification_deliveries")
    .columns(["project_id", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("notification_deliveries_project_status_idx")
    .on("notification_deliveries")
    .columns(["project_id", "status", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("notification_deliveries_status_idx")
    .on("notification_deliveries")
    .columns(["status", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("notification_deliveries_created_idx")
    .on("notification_deliveries")
    .columns(["created_at", "id"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("notification_deliveries").ifExists().execute();
}
