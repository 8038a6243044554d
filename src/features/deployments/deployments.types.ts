import type { DeploymentStatus } from "../../shared/api.ts";
import type { EnvironmentSpec } from "../projects/projects.types.ts";

export type DeploymentKind = "deploy" | "rollback";
export type StepState = "executing" | "polling" | "awaiting_callback";

/** A deployment as stored, with the names its DTO needs (joined, so one query serves lists). */
export interface DeploymentRecord {
  id: string;
  projectId: string;
  projectSlug: string;
  environmentId: string;
  environmentName: string;
  environmentSpec: EnvironmentSpec;
  releaseId: string;
  releaseVersion: string;
  kind: DeploymentKind;
  status: DeploymentStatus;
  reason: string | null;
  createdBy: string | null;
  stepIndex: number;
  stepAttempt: number;
  stepState: StepState | null;
  stepDeadline: string | null;
  externalId: string | null;
  externalUrl: string | null;
  callbackTokenHash: string | null;
  callbackResult: CallbackResult | null;
  cancelRequested: boolean;
  logOmittedLines: number;
  logOmittedBytes: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What lists show of a deployment: no step state, callback or log bookkeeping (a list reads 50 rows per page). */
export type DeploymentListItem = Pick<
  DeploymentRecord,
  | "id"
  | "projectSlug"
  | "environmentId"
  | "environmentName"
  | "environmentSpec"
  | "releaseId"
  | "releaseVersion"
  | "kind"
  | "status"
  | "reason"
  | "createdBy"
  | "stepIndex"
  | "stepAttempt"
  | "externalId"
  | "externalUrl"
  | "createdAt"
  | "startedAt"
  | "finishedAt"
>;

export interface CallbackResult {
  status: "succeeded" | "failed";
  message?: string;
}

export interface LogLine {
  seq: number;
  ts: string;
  stream: string;
  line: string;
}

export const DEPLOYMENT_JOB = "deployment.run";
export const deploymentJobKey = (id: string) => `deployment:${id}`;
export const OPEN_STATUSES: DeploymentStatus[] = ["pending_gates", "pending_approval", "queued", "running"];

/**
 * What pipeline runs (features/runs) do for deployments: a running deployment gets a run, which ends with it; its
 * steps' jobs get the run's id and ingest token (`ExecutionContext.run`); the deployment shows its run.
 */
export interface DeploymentRunHooks {
  running(d: DeploymentRecord): Promise<{ id: string; ingestToken: string }>;
  ended(deploymentId: string, status: string): Promise<void>;
  runOf(deploymentId: string): Promise<string | undefined>;
  /** A step's output lines, as log records of the run from node `node` (plain text or JSON lines). */
  stepOutput(runId: string, node: string, lines: string[]): Promise<void>;
}
