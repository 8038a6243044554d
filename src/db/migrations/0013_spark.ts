import type { Kysely } from "kysely";

/** Spark event-log analyses, attached to runs (0011). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("spark_analyses")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("summary_json", "text", (c) => c.notNull())
    .addColumn("findings_json", "text", (c) => c.notNull())
    .addColumn("critical", "integer", (c) => c.notNull())
    .addColumn("complete", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("spark_analyses_run_name_key", ["run_id", "name"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("spark_analyses").execute();
}
