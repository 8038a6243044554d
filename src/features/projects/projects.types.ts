import type { ApprovalPolicy } from "../approvals/approvals.types.ts";
import type { CommitStatusConfig } from "../commit-status/commit-status.types.ts";
import type { FlagsConfig } from "../flags/flags-config.types.ts";
import type { GateSpec } from "../gates/gates.types.ts";
import type { NotificationChannel } from "../notifications/notifications.types.ts";

/** One executor invocation of an environment's deploy, in order. `executor:` in stagegate.yaml is a one-step list. */
export interface StepSpec {
  name: string;
  type: string;
  config: unknown;
  /** Report files the step writes, attached to the release's commit when it ends (`reports:` in stagegate.yaml). */
  reports?: { kind: string; paths: string[] };
  /** Extra attempts after a retryable error; overrides the environment's `retries`. */
  retries?: number;
  /** A failed step (the target said no) does not fail the deployment; the next step runs. */
  continueOnError?: boolean;
  /** A verification step: its failure is reported as "verification step … failed". */
  verify?: boolean;
}

/** What an environment does when a release is deployed to it, as stored (normalised from stagegate.yaml). */
export interface EnvironmentSpec {
  steps: StepSpec[];
  /** Quality gates a release's commit must pass to be promoted here (absent in specs stored before gates existed). */
  gates?: GateSpec[];
  /** Who must approve before a deployment here may run. */
  approval?: ApprovalPolicy;
  /** Extra attempts of a step after a retryable error. */
  retries: number;
  /** Base delay before the first retry; doubles each time. */
  backoffMs: number;
  /** A failed deploy queues a redeploy of the environment's last good release (kind rollback). */
  rollbackOnFailure?: boolean;
}

export interface ProjectRecord {
  id: string;
  slug: string;
  name: string;
  repoUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentRecord {
  id: string;
  projectId: string;
  name: string;
  position: number;
  /** Environment a release must have succeeded in first; null for none. */
  requires: string | null;
  autoDeployBranch: string | null;
  spec: EnvironmentSpec;
}

export interface ProjectConfig {
  project?: string;
  commitStatus?: CommitStatusConfig;
  notifications?: NotificationChannel[];
  name?: string;
  repo?: string;
  environments: Array<Omit<EnvironmentRecord, "id" | "projectId">>;
  /** `flags:` declared as code (the flags feature applies them after the config). */
  flags?: FlagsConfig;
}

/** Checks an executor's config where it is declared; `path` names the field in errors, e.g. `environments[1].executor.config`. */
export type ExecutorConfigValidator = (
  type: string,
  config: unknown,
  path: string,
) => { ok: true; config: unknown } | { ok: false; errors: { path: string; message: string }[] };
