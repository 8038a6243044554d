import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import * as core from "./migrations/0001_core.ts";
import * as reports from "./migrations/0002_reports.ts";
import * as commitStatus from "./migrations/0003_commit_status.ts";
import * as audit from "./migrations/0004_audit.ts";
import * as notifications from "./migrations/0005_notifications.ts";
import * as auth from "./migrations/0006_auth.ts";
import * as approvals from "./migrations/0007_approvals.ts";
import * as approvalLinks from "./migrations/0008_approval_links.ts";
import * as flags from "./migrations/0009_flags.ts";
import * as secrets from "./migrations/0010_secrets.ts";
import * as runs from "./migrations/0011_runs.ts";
import * as authOidc from "./migrations/0012_auth_oidc.ts";
import * as spark from "./migrations/0013_spark.ts";
import * as perf from "./migrations/0014_perf.ts";
import * as deploymentLinks from "./migrations/0015_deployment_links.ts";
import * as runsRetention from "./migrations/0016_runs_retention.ts";
import * as flagsSchedule from "./migrations/0017_flags_schedule.ts";
import * as coverageUncovered from "./migrations/0018_coverage_uncovered.ts";
import * as runsPerf from "./migrations/0019_runs_perf.ts";
import * as reportsPerf from "./migrations/0020_reports_perf.ts";
import * as runsFts from "./migrations/0021_runs_fts.ts";
import * as runLogsKey from "./migrations/0022_run_logs_key.ts";
import type { Database } from "./schema.ts";

// Listed in code (not read from a folder) so the same migrations run from source, a bundle or a test.
const migrations: Record<string, Migration> = {
  "0001_core": core,
  "0002_reports": reports,
  "0003_commit_status": commitStatus,
  "0004_audit": audit,
  "0005_notifications": notifications,
  "0006_auth": auth,
  "0007_approvals": approvals,
  "0008_approval_links": approvalLinks,
  "0009_flags": flags,
  "0010_secrets": secrets,
  "0011_runs": runs,
  "0012_auth_oidc": authOidc,
  "0013_spark": spark,
  "0014_perf": perf,
  "0015_deployment_links": deploymentLinks,
  "0016_runs_retention": runsRetention,
  "0017_flags_schedule": flagsSchedule,
  "0018_coverage_uncovered": coverageUncovered,
  "0019_runs_perf": runsPerf,
  "0020_reports_perf": reportsPerf,
  "0021_runs_fts": runsFts,
  "0022_run_logs_key": runLogsKey,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`Database migration ${failed} failed`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === "Success").map((result) => result.migrationName);
}
