import type { Kysely } from "kysely";

// Flag change requests: a change to one environment's flags that is scheduled for later and/or waits for approvals
// under the environment's approval policy, and the decisions on it. A change applies exactly once: the transaction
// that applies it first moves its status from `scheduled` (or `pending_approval`) to `applied` with a conditional update.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("flag_change_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("patches_json", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("author", "text", (c) => c.notNull())
    .addColumn("author_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("apply_at", "text")
    .addColumn("expires_at", "text")
    .addColumn("policy_json", "text")
    .addColumn("applied_version", "integer")
    .addColumn("error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("flag_change_requests_project_idx")
    .on("flag_change_requests")
    .columns(["project_id", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("flag_change_requests_due_idx")
    .on("flag_change_requests")
    .columns(["status", "apply_at"])
    .execute();
  await db.schema
    .createTable("flag_change_decisions")
    .addColumn("change_id", "text", (c) => c.notNull().references("flag_change_requests.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("user_name", "text", (c) => c.notNull())
    .addColumn("decision", "text", (c) => c.notNull())
    .addColumn("comment", "text")
    .addColumn("groups_json", "text", (c) => c.notNull())
    .addColumn("at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("flag_change_decisions_pk", ["change_id", "user_id"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("flag_change_decisions").ifExists().execute();
  await db.schema.dropTable("flag_change_requests").ifExists().execute();
}
