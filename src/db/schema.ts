import type { Kysely, Transaction } from "kysely";
import type { ApprovalDecisionsTable, ApprovalLinkUsesTable, ServerSecretsTable } from "./schema.approvals.ts";
import type { LoginFailuresTable, OidcLoginsTable, ProjectMembersTable, SessionsTable, UsersTable } from "./schema.auth.ts";
import type { CommitStatusDeliveriesTable } from "./schema.commit-status.ts";
import type { FlagsDatabase } from "./schema.flags.ts";
import type { NotificationDeliveriesTable } from "./schema.notifications.ts";
import type { TestCaseNamesTable } from "./schema.reports-perf.ts";
import type {
  RunAlertsTable,
  RunErrorGroupsTable,
  RunErrorNodesTable,
  RunLogsTable,
  RunMetricsTable,
  RunNodesTable,
  RunsTable,
} from "./schema.runs.ts";
import type { SecretsDatabase } from "./schema.secrets.ts";
import type { SparkDatabase } from "./schema.spark.ts";

/**
 * Row types as stored. Timestamps are ISO-8601 UTC text and JSON is text on both dialects, so
 * SQLite and PostgreSQL return identical values and stores convert in one place.
 */
export interface ProjectsTable {
  id: string;
  slug: string;
  name: string;
  repo_url: string | null;
  config_source: string | null;
  config_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface EnvironmentsTable {
  id: string;
  project_id: string;
  name: string;
  position: number;
  requires: string | null;
  auto_deploy_branch: string | null;
  spec_json: string;
  created_at: string;
  updated_at: string;
}

export interface ReleasesTable {
  id: string;
  project_id: string;
  version: string;
  commit_sha: string;
  branch: string;
  artifact_url: string | null;
  artifact_digest: string | null;
  notes: string | null;
  created_by: string | null;
  created_at: string;
}

export interface DeploymentsTable {
  id: string;
  project_id: string;
  environment_id: string;
  release_id: string;
  kind: string;
  status: string;
  reason: string | null;
  created_by: string | null;
  step_index: number;
  step_attempt: number;
  /** null between steps; `executing` while start/poll runs; `polling` or `awaiting_callback` while the target works. */
  step_state: string | null;
  /** When a step waiting for a callback gives up. */
  step_deadline: string | null;
  external_id: string | null;
  /** The run at the target (executor-reported link), kept after its step for the deployment page. */
  external_url: string | null;
  callback_token_hash: string | null;
  callback_result: string | null;
  cancel_requested: number;
  log_omitted_lines: number;
  log_omitted_bytes: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

export interface DeploymentLogsTable {
  deployment_id: string;
  seq: number;
  ts: string;
  stream: string;
  line: string;
}

export interface JobsTable {
  id: string;
  type: string;
  /** Lets a feature find and wake its job (e.g. `deployment:<id>`). */
  key: string | null;
  payload: string;
  status: string;
  run_at: string;
  attempts: number;
  max_attempts: number;
  /** Set when woken while running, so the next reschedule runs at once instead of later. */
  poked: number;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  role: string;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** 0006_auth: `personal` (acts as `user_id`, capped by `role`) or `service`. */
  kind: string;
  user_id: string | null;
  /** JSON array of project ids, or null for every project. */
  projects_json: string | null;
  global_admin: number;
}

export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  fingerprint: string;
  status_code: number;
  response_json: string;
  created_at: string;
}

export interface ReportRunsTable {
  id: string;
  project_id: string;
  commit_sha: string;
  branch: string;
  kind: string;
  base_sha: string | null;
  ci_json: string | null;
  diff_json: string | null;
  status: string;
  summary_json: string | null;
  created_by: string | null;
  created_at: string;
  completed_at: string | null;
  /** The run page's failures, flaky, slowest and comparison, computed at completion (0014_perf). */
  view_json: string | null;
}

export interface ReportFilesTable {
  id: string;
  run_id: string;
  name: string;
  format: string;
  status: string;
  bytes: number;
  summary_json: string | null;
  created_at: string;
}

export interface TestCasesTable {
  file_id: string;
  seq: number;
  run_id: string;
  test_key: string;
  suite: string;
  classname: string | null;
  name: string;
  file: string | null;
  duration_ms: number | null;
  status: string;
  message: string | null;
  stack: string | null;
  system_out: string | null;
  system_err: string | null;
  reruns: number;
}

export interface CoverageFilesTable {
  file_id: string;
  seq: number;
  run_id: string;
  path: string;
  lines_json: string;
  branches_json: string;
  lines_covered: number;
  lines_total: number;
  branches_covered: number;
  branches_total: number;
  /** 0018: uncovered line ranges as JSON, null on rows stored before. */
  uncovered_json: string | null;
}

export interface RunCoverageTable {
  run_id: string;
  path: string;
  lines_json: string;
  branches_json: string;
  lines_covered: number;
  lines_total: number;
  branches_covered: number;
  branches_total: number;
  /** 0014_perf: a path that came once points at its coverage_files row instead of copying its line data ('' here). */
  source_file_id: string | null;
  source_seq: number | null;
  /** 0018: uncovered line ranges as JSON (null on rows stored before, and on rows that point at their source). */
  uncovered_json: string | null;
}

export interface GateResultsTable {
  id: string;
  deployment_id: string | null;
  project_id: string;
  environment: string;
  release_id: string;
  passed: number;
  results_json: string;
  override_by: string | null;
  override_reason: string | null;
  created_at: string;
}

export interface Database extends FlagsDatabase, SecretsDatabase, SparkDatabase {
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  releases: ReleasesTable;
  deployments: DeploymentsTable;
  deployment_logs: DeploymentLogsTable;
  jobs: JobsTable;
  api_tokens: ApiTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  report_runs: ReportRunsTable;
  report_files: ReportFilesTable;
  test_cases: TestCasesTable;
  test_case_names: TestCaseNamesTable;
  coverage_files: CoverageFilesTable;
  run_coverage: RunCoverageTable;
  gate_results: GateResultsTable;
  commit_status_deliveries: CommitStatusDeliveriesTable;
  users: UsersTable;
  project_members: ProjectMembersTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
  oidc_logins: OidcLoginsTable;
  notification_deliveries: NotificationDeliveriesTable;
  approval_decisions: ApprovalDecisionsTable;
  server_secrets: ServerSecretsTable;
  approval_link_uses: ApprovalLinkUsesTable;
  runs: RunsTable;
  run_logs: RunLogsTable;
  run_nodes: RunNodesTable;
  run_error_groups: RunErrorGroupsTable;
  run_error_nodes: RunErrorNodesTable;
  run_metrics: RunMetricsTable;
  run_alerts: RunAlertsTable;
}

/** A Kysely handle that is either the database or an open transaction: stores take this. */
export type Queryable = Kysely<Database> | Transaction<Database>;
