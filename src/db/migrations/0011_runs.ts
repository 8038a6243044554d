import { type Kysely, SqliteAdapter, sql } from "kysely";

/**
 * Pipeline runs, their log records, metric samples and alerts. Full-text search is dialect-specific: an FTS5 table
 * (external content, rowid = run_logs.id) on SQLite; a GIN index over `to_tsvector('simple', msg)` on PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await db.schema
    .createTable("runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("environment", "text")
    .addColumn("release_version", "text")
    .addColumn("commit_sha", "text")
    .addColumn("deployment_id", "text", (c) => c.unique())
    .addColumn("external_id", "text")
    .addColumn("attributes_json", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("ingest_token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("ended_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("runs_project_idx").on("runs").columns(["project_id", "created_at", "id"]).execute();
  await db.schema.createIndex("runs_job_idx").on("runs").columns(["project_id", "name", "environment", "created_at"]).execute();

  await db.schema
    .createTable("run_logs")
    .addColumn("id", sqlite ? "integer" : "bigserial", (c) => (sqlite ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("ts", "bigint", (c) => c.notNull())
    .addColumn("node", "text", (c) => c.notNull())
    .addColumn("level", "text", (c) => c.notNull())
    .addColumn("severity", "integer", (c) => c.notNull())
    .addColumn("msg", "text", (c) => c.notNull())
    .addColumn("attrs_json", "text")
    .addColumn("trace_id", "text")
    .addColumn("span_id", "text")
    .addColumn("flags", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("run_logs_time_idx").on("run_logs").columns(["run_id", "ts", "id"]).execute();
  await db.schema.createIndex("run_logs_node_idx").on("run_logs").columns(["run_id", "node", "ts", "id"]).execute();
  if (sqlite) {
    await sql`create virtual table run_logs_fts using fts5(msg, content='run_logs', content_rowid='id')`.execute(db);
  } else {
    await sql`create index run_logs_fts_idx on run_logs using gin (to_tsvector('simple', msg))`.execute(db);
  }

  await db.schema
    .createTable("run_nodes")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("node", "text", (c) => c.notNull())
    .addColumn("first_ts", "bigint", (c) => c.notNull())
    .addColumn("last_ts", "bigint", (c) => c.notNull())
    .addColumn("last_seen_at", "bigint", (c) => c.notNull())
    .addColumn("records", "bigint", (c) => c.notNull())
    .addColumn("debug", "bigint", (c) => c.notNull())
    .addColumn("info", "bigint", (c) => c.notNull())
    .addColumn("warn", "bigint", (c) => c.notNull())
    .addColumn("error", "bigint", (c) => c.notNull())
    .addColumn("fatal", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("run_nodes_pk", ["run_id", "node"])
    .execute();

  await db.schema
    .createTable("run_error_groups")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("template", "text", (c) => c.notNull())
    .addColumn("count", "bigint", (c) => c.notNull())
    .addColumn("first_ts", "bigint", (c) => c.notNull())
    .addColumn("last_ts", "bigint", (c) => c.notNull())
    .addColumn("example_msg", "text", (c) => c.notNull())
    .addColumn("example_stack", "text")
    .addColumn("example_node", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("run_error_groups_pk", ["run_id", "fingerprint"])
    .execute();
  await db.schema
    .createTable("run_error_nodes")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("node", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("run_error_nodes_pk", ["run_id", "fingerprint", "node"])
    .execute();

  await db.schema
    .createTable("run_metrics")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("node", "text", (c) => c.notNull())
    .addColumn("gpu", "text", (c) => c.notNull())
    .addColumn("labels_json", "text", (c) => c.notNull())
    .addColumn("ts", "bigint", (c) => c.notNull())
    .addColumn("value", "double precision", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("run_metrics_idx").on("run_metrics").columns(["run_id", "name", "ts"]).execute();

  await db.schema
    .createTable("run_alerts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull().references("runs.id").onDelete("cascade"))
    .addColumn("rule", "text", (c) => c.notNull())
    .addColumn("severity", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("value", "double precision")
    .addColumn("fired_at", "text", (c) => c.notNull())
    .addColumn("resolved_at", "text")
    .addColumn("notified", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("run_alerts_run_idx").on("run_alerts").columns(["run_id", "rule", "state"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["run_alerts", "run_metrics", "run_error_nodes", "run_error_groups", "run_nodes"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`drop table if exists run_logs_fts`.execute(db);
  await db.schema.dropTable("run_logs").ifExists().execute();
  await db.schema.dropTable("runs").ifExists().execute();
}
