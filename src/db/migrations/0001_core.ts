import { type Kysely, sql } from "kysely";

// Dialect-neutral on purpose: text ids, ISO-8601 text timestamps, JSON as text, integers for flags.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("projects")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("slug", "text", (c) => c.notNull().unique())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("repo_url", "text")
    .addColumn("config_source", "text")
    .addColumn("config_json", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("environments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("requires", "text")
    .addColumn("auto_deploy_branch", "text")
    .addColumn("spec_json", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("environments_project_name_uq", ["project_id", "name"])
    .execute();

  await db.schema
    .createTable("releases")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("version", "text", (c) => c.notNull())
    .addColumn("commit_sha", "text", (c) => c.notNull())
    .addColumn("branch", "text", (c) => c.notNull())
    .addColumn("artifact_url", "text")
    .addColumn("artifact_digest", "text")
    .addColumn("notes", "text")
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("releases_project_version_uq", ["project_id", "version"])
    .execute();
  // Newest-first keyset pagination.
  await db.schema
    .createIndex("releases_project_created_idx")
    .on("releases")
    .columns(["project_id", "created_at", "id"])
    .execute();

  await db.schema
    .createTable("deployments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("release_id", "text", (c) => c.notNull().references("releases.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("created_by", "text")
    .addColumn("step_index", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("step_attempt", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("step_state", "text")
    .addColumn("step_deadline", "text")
    .addColumn("external_id", "text")
    .addColumn("callback_token_hash", "text")
    .addColumn("callback_result", "text")
    .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("log_omitted_lines", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("log_omitted_bytes", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("started_at", "text")
    .addColumn("finished_at", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  // The database, not only the code, keeps one deployment running per environment…
  await db.schema
    .createIndex("deployments_one_running_per_env_uq")
    .on("deployments")
    .column("environment_id")
    .unique()
    .where(sql.ref("status"), "=", "running")
    .execute();
  // …and one open (not yet finished) deployment per release and environment, so concurrent promotes collapse to one.
  await db.schema
    .createIndex("deployments_one_open_per_release_env_uq")
    .on("deployments")
    .columns(["environment_id", "release_id"])
    .unique()
    .where(sql.ref("status"), "in", sql`('pending_gates','pending_approval','queued','running')`)
    .execute();
  await db.schema
    .createIndex("deployments_project_created_idx")
    .on("deployments")
    .columns(["project_id", "created_at", "id"])
    .execute();
  await db.schema
    .createIndex("deployments_env_status_idx")
    .on("deployments")
    .columns(["environment_id", "status", "created_at"])
    .execute();
  await db.schema.createIndex("deployments_release_idx").on("deployments").columns(["release_id", "created_at"]).execute();

  await db.schema
    .createTable("deployment_logs")
    .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("ts", "text", (c) => c.notNull())
    .addColumn("stream", "text", (c) => c.notNull())
    .addColumn("line", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("deployment_logs_pk", ["deployment_id", "seq"])
    .execute();

  await db.schema
    .createTable("jobs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("key", "text")
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("run_at", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("max_attempts", "integer", (c) => c.notNull())
    .addColumn("poked", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("lease_owner", "text")
    .addColumn("lease_expires_at", "text")
    .addColumn("last_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("jobs_claim_idx").on("jobs").columns(["status", "run_at"]).execute();
  await db.schema.createIndex("jobs_key_idx").on("jobs").column("key").execute();
  await db.schema.createIndex("jobs_lease_idx").on("jobs").columns(["status", "lease_expires_at"]).execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("expires_at", "text")
    .addColumn("revoked_at", "text")
    .addColumn("last_used_at", "text")
    .execute();

  await db.schema
    .createTable("idempotency_keys")
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("status_code", "integer", (c) => c.notNull())
    .addColumn("response_json", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("idempotency_keys_pk", ["scope", "key"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "idempotency_keys",
    "api_tokens",
    "jobs",
    "deployment_logs",
    "deployments",
    "releases",
    "environments",
    "projects",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
