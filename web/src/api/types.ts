/**
 * Shapes of the HTTP API. The public contract lives in src/shared (imported as types only, so no server code reaches the
 * bundle); the few views defined elsewhere on the server are mirrored here.
 */
export type {
  Deployment,
  DeploymentStatus,
  Environment,
  PageOf,
  Project,
  Release,
  ReleaseDetail,
} from "../../../src/shared/api.ts";
export type { AuditEvent, AuditVerifyResult } from "../../../src/shared/audit.api.ts";
export type { CreatedToken, Member, SessionInfo, TokenInfo, User } from "../../../src/shared/auth.api.ts";
export type {
  CoverageEntry,
  ReportRun,
  ReportRunDetail,
  TestCase,
  TestCounts,
} from "../../../src/shared/reports.api.ts";
export type { Role } from "../../../src/shared/roles.ts";

import type { Deployment, DeploymentStatus } from "../../../src/shared/api.ts";
import type { ReportRun, TestCounts } from "../../../src/shared/reports.api.ts";
import type { Role } from "../../../src/shared/roles.ts";

// ── approvals (src/features/approvals) ─────────────────────────────────────────────────────────────────────────
export interface ApprovalState {
  deploymentId: string;
  status: string;
  groups: { name: string; required: number; approvedBy: string[]; satisfied: boolean }[];
  decisions: { user: string; decision: string; comment: string | null; at: string }[];
  expiresAt: string | null;
  waitTimerMs: number;
}
export interface PendingApproval {
  deployment: Deployment;
  approval: ApprovalState;
}

// ── gates (src/features/gates) ───────────────────────────────────────────────────────────────────────────────────
export interface GateResult {
  type: string;
  passed: boolean;
  expected: string;
  actual: string;
  message: string;
  evidence: { commitSha: string; runIds: string[]; url: string | null };
}
export interface GateEvaluation {
  passed: boolean;
  results: GateResult[];
  override: { by: string; reason: string } | null;
  evaluatedAt: string;
}

// ── reports views (src/features/reports/report-views.routes.ts) ─────────────────────────────────────────────────
export interface CommitReport {
  commitSha: string;
  runs: ReportRun[];
  kinds: {
    kind: string;
    runs: string[];
    tests: TestCounts;
    failing: string[];
    flaky: string[];
    coverage: { lines: number | null; branches: number | null; runId: string } | null;
  }[];
}
export interface TrendPoint {
  runId: string;
  commitSha: string;
  at: string;
  tests: number;
  passRate: number | null;
  durationMs: number;
  lineCoverage: number | null;
}

// ── dashboard (src/features/dashboard/dashboard.types.ts) ───────────────────────────────────────────────────────
export interface MatrixCell {
  environment: string;
  deploymentId: string;
  status: DeploymentStatus;
  kind: string;
  at: string;
  by: string | null;
}
export interface EnvironmentColumn {
  name: string;
  position: number;
  requires: string | null;
  gates: string[];
  approvalRequired: number;
  current: { version: string; since: string; deploymentId: string; by: string | null } | null;
  last: Deployment | null;
  pending: {
    deploymentId: string;
    release: string;
    createdBy: string | null;
    createdAt: string;
    approvals: number;
    required: number;
  } | null;
}
export interface MatrixRow {
  version: string;
  commitSha: string;
  branch: string;
  createdAt: string;
  createdBy: string | null;
  cells: (MatrixCell | null)[];
}
export interface ProjectMatrix {
  project: string;
  name: string;
  role: Role | null;
  environments: EnvironmentColumn[];
  releases: { items: MatrixRow[]; nextCursor: string | null };
}
export interface DoraFigures {
  environment: string | null;
  days: number;
  from: string;
  to: string;
  deploymentFrequency: { deployments: number; perDay: number };
  leadTime: { medianMs: number | null };
  changeFailureRate: { failed: number; finished: number; rate: number | null };
  timeToRestore: { incidents: number; medianMs: number | null };
  series: { day: string; deployments: number; failures: number; leadTimeMs: number | null }[];
}
export interface ProjectSummary {
  slug: string;
  name: string;
  repoUrl: string | null;
  environments: { name: string; version: string | null; status: DeploymentStatus | null; at: string | null }[];
}
export interface UiConfig {
  oidc: { loginUrl: string; label: string } | null;
}
export interface MyRole {
  project: string;
  username: string;
  role: Role | null;
  globalAdmin: boolean;
}
export interface Readiness {
  version: string;
  environments: {
    environment: string;
    lifecycle: { ok: boolean; requires: string | null };
    freeze: { reason: string; liftsAt: string } | null;
    gates: { passed: boolean; results: GateResult[] } | null;
    lock: { deploymentId: string; release: string } | null;
  }[];
}

/** A project's notification channel as Settings shows it (GET /projects/{slug}/notification-channels). */
export interface NotificationChannel {
  key: string;
  type: "slack" | "teams" | "email" | "webhook";
  target: string;
  events: string[];
  recent: Omit<Delivery, "project" | "channel" | "channelType" | "deliveredAt">[];
}

export interface Delivery {
  id: string;
  project: string;
  channel: string;
  channelType: string;
  event: string;
  environment: string | null;
  release: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface ChannelTestResult {
  channel: string;
  ok: boolean;
  error: string | null;
  durationMs: number;
}
