import type { Kysely } from "kysely";

// Flags per project, their state per environment, immutable flag-set versions per environment (the snapshot OFREP and
// the SDKs serve), reusable segments, environment-scoped SDK keys and when each flag was last evaluated.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("flags")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("owner", "text")
    .addColumn("tags_json", "text", (c) => c.notNull())
    .addColumn("variants_json", "text", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("flags_project_key_uq", ["project_id", "key"])
    .execute();
  await db.schema
    .createTable("flag_states")
    .addColumn("flag_id", "text", (c) => c.notNull().references("flags.id").onDelete("cascade"))
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("default_variant", "text", (c) => c.notNull())
    .addColumn("off_variant", "text", (c) => c.notNull())
    .addColumn("rules_json", "text", (c) => c.notNull())
    .addColumn("rollout_json", "text")
    .addColumn("updated_by", "text")
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("flag_states_pk", ["flag_id", "environment_id"])
    .execute();
  await db.schema.createIndex("flag_states_environment_idx").on("flag_states").column("environment_id").execute();
  await db.schema
    .createTable("flag_segments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("conditions_json", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addUniqueConstraint("flag_segments_project_key_uq", ["project_id", "key"])
    .execute();
  await db.schema
    .createTable("flag_set_versions")
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("reason", "text")
    .addColumn("changes_json", "text", (c) => c.notNull())
    .addColumn("snapshot_json", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("flag_set_versions_pk", ["environment_id", "version"])
    .execute();
  await db.schema
    .createTable("flag_sdk_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("key_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("revoked_at", "text")
    .execute();
  await db.schema.createIndex("flag_sdk_keys_project_idx").on("flag_sdk_keys").columns(["project_id", "created_at"]).execute();
  await db.schema
    .createTable("flag_evaluations")
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("flag_key", "text", (c) => c.notNull())
    .addColumn("last_evaluated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("flag_evaluations_pk", ["environment_id", "flag_key"])
    .execute();
  // Flags that move with releases: a release's manifest (per environment, the flag states it needs), and what
  // applying it at each deployment did, so a rollback can restore the flag-set version from before.
  await db.schema
    .createTable("flag_release_manifests")
    .addColumn("release_id", "text", (c) => c.primaryKey().references("releases.id").onDelete("cascade"))
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("manifest_json", "text", (c) => c.notNull())
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("flag_release_applications")
    .addColumn("deployment_id", "text", (c) => c.primaryKey())
    .addColumn("environment_id", "text", (c) => c.notNull().references("environments.id").onDelete("cascade"))
    .addColumn("release_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("version_before", "integer", (c) => c.notNull())
    .addColumn("version_after", "integer", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("flag_release_applications_env_idx")
    .on("flag_release_applications")
    .columns(["environment_id", "created_at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "flag_release_applications",
    "flag_release_manifests",
    "flag_evaluations",
    "flag_sdk_keys",
    "flag_set_versions",
    "flag_segments",
    "flag_states",
    "flags",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
