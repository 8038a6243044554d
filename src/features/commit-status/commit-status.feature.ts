import type { JobHandler } from "../../jobs/jobs.types.ts";
import { createDeliverHandler, type DeliverDeps } from "./commit-status.job.ts";
import { type CommitStatusDeps, createCommitStatusService } from "./commit-status.service.ts";
import { DELIVER_JOB } from "./commit-status.types.ts";

/**
 * Commit statuses on GitHub / GitLab for completed report runs. `onRunCompleted` goes to the reports feature's
 * `onComplete`; `jobs` are registered with the job runner.
 */
export function createCommitStatusFeature(deps: CommitStatusDeps & Pick<DeliverDeps, "clients" | "policy">) {
  const service = createCommitStatusService(deps);
  const jobs: Record<string, JobHandler> = { [DELIVER_JOB]: createDeliverHandler(deps) };
  return { service, onRunCompleted: service.onRunCompleted, jobs };
}
