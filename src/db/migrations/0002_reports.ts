import type { CreateTableBuilder, Kysely } from "kysely";

/** Compact line data (JSON [[line, hits], …] and [[line, covered, total], …]) with its totals: per file and per run. */
type CoverageColumn = "lines_json" | "branches_json" | "lines_covered" | "lines_total" | "branches_covered" | "branches_total";
function coverageColumns<T extends string, C extends string>(
  table: CreateTableBuilder<T, C>,
): CreateTableBuilder<T, C | CoverageColumn> {
  return table
    .addColumn("lines_json", "text", (c) => c.notNull())
    .addColumn("branches_json", "text", (c) => c.notNull())
    .addColumn("lines_covered", "integer", (c) => c.notNull())
    .addColumn("lines_total", "integer", (c) => c.notNull())
    .addColumn("branches_covered", "integer", (c) => c.notNull())
    .addColumn("branches_total", "integer", (c) => c.notNull());
}

// Reports: a run per CI upload (commit × kind), its files, test cases and coverage; gate results per deployment.
export async function up(db: Kysely<unknown>): Promise<void> {
  // What runs where: an environment's succeeded deployments by finish time (was a sort in memory).
  await db.schema
    .createIndex("deployments_env_finished_idx")
    .on("deployments")
    .columns(["environment_id", "status", "finished_at", "id"])
    .execute();

  await db.schema
    .createTable("report_runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("commit_sha", "text", (c) => c.notNull())
    .addColumn("branch", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("base_sha", "text")
    .addColumn("ci_json", "text")
    .addColumn("diff_json", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("summary_json", "text")
    .addColumn("created_by", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("completed_at", "text")
    .execute();
  await db.schema.createIndex("report_runs_commit_idx").on("report_runs").columns(["project_id", "commit_sha", "kind"]).execute();
  await db.schema
    .createIndex("report_runs_branch_idx")
    .on("report_runs")
    .columns(["project_id", "branch", "kind", "created_at"])
    .execute();
  await db.schema.createIndex("report_runs_created_idx").on("report_runs").columns(["project_id", "created_at", "id"]).execute();

  await db.schema
    .createTable("report_files")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull().references("report_runs.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull())
    // `uploading` rows are invisible to every read; they become `stored` in the transaction that retires the old file.
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("bytes", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("summary_json", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("report_files_run_idx").on("report_files").columns(["run_id", "name", "status"]).execute();

  await db.schema
    .createTable("test_cases")
    .addColumn("file_id", "text", (c) => c.notNull().references("report_files.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("test_key", "text", (c) => c.notNull())
    .addColumn("suite", "text", (c) => c.notNull())
    .addColumn("classname", "text")
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("file", "text")
    .addColumn("duration_ms", "real")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("message", "text")
    .addColumn("stack", "text")
    .addColumn("system_out", "text")
    .addColumn("system_err", "text")
    .addColumn("reruns", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("test_cases_pk", ["file_id", "seq"])
    .execute();
  await db.schema.createIndex("test_cases_run_status_idx").on("test_cases").columns(["run_id", "status"]).execute();
  await db.schema.createIndex("test_cases_run_duration_idx").on("test_cases").columns(["run_id", "duration_ms"]).execute();
  await db.schema.createIndex("test_cases_key_idx").on("test_cases").columns(["test_key", "run_id"]).execute();

  await db.schema
    .createTable("coverage_files")
    .addColumn("file_id", "text", (c) => c.notNull().references("report_files.id").onDelete("cascade"))
    // A path may come several times in one file (Go profiles, repeated SF records); merged when the run completes.
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull())
    .$call(coverageColumns)
    .addPrimaryKeyConstraint("coverage_files_pk", ["file_id", "seq"])
    .execute();
  await db.schema.createIndex("coverage_files_run_idx").on("coverage_files").columns(["run_id", "path"]).execute();

  // Coverage of a completed run, merged over its files per repo-relative path.
  await db.schema
    .createTable("run_coverage")
    .addColumn("run_id", "text", (c) => c.notNull().references("report_runs.id").onDelete("cascade"))
    .addColumn("path", "text", (c) => c.notNull())
    .$call(coverageColumns)
    .addPrimaryKeyConstraint("run_coverage_pk", ["run_id", "path"])
    .execute();

  await db.schema
    .createTable("gate_results")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("deployment_id", "text", (c) => c.references("deployments.id").onDelete("cascade"))
    .addColumn("project_id", "text", (c) => c.notNull().references("projects.id").onDelete("cascade"))
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("release_id", "text", (c) => c.notNull())
    .addColumn("passed", "integer", (c) => c.notNull())
    .addColumn("results_json", "text", (c) => c.notNull())
    .addColumn("override_by", "text")
    .addColumn("override_reason", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("gate_results_deployment_idx").on("gate_results").column("deployment_id").execute();
  await db.schema
    .createIndex("gate_results_release_idx")
    .on("gate_results")
    .columns(["release_id", "environment", "created_at"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["gate_results", "run_coverage", "coverage_files", "test_cases", "report_files", "report_runs"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.dropIndex("deployments_env_finished_idx").ifExists().execute();
}
