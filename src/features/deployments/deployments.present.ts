import type { Deployment } from "../../shared/api.ts";
import type { DeploymentRecord } from "./deployments.types.ts";

/** What presenting needs of a deployment; read models (e.g. the dashboard's) pass their own rows. */
export type PresentableDeployment = Pick<
  DeploymentRecord,
  | "id"
  | "projectSlug"
  | "environmentName"
  | "releaseVersion"
  | "kind"
  | "status"
  | "reason"
  | "stepIndex"
  | "stepAttempt"
  | "externalId"
  | "externalUrl"
  | "createdBy"
  | "createdAt"
  | "startedAt"
  | "finishedAt"
> & { environmentSpec: { steps: ReadonlyArray<{ name: string }> } };

export function presentDeployment(d: PresentableDeployment): Deployment {
  const step = d.environmentSpec.steps[d.stepIndex];
  const inProgress =
    d.status === "running" ||
    ((d.status === "failed" || d.status === "errored" || d.status === "cancelled") && d.startedAt !== null);
  return {
    id: d.id,
    project: d.projectSlug,
    environment: d.environmentName,
    release: d.releaseVersion,
    kind: d.kind,
    status: d.status,
    reason: d.reason,
    step: inProgress && step ? { index: d.stepIndex, name: step.name, attempt: d.stepAttempt } : null,
    externalId: d.externalId,
    externalUrl: d.externalUrl,
    createdBy: d.createdBy,
    createdAt: d.createdAt,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
  };
}
