import type { Logger } from "pino";
import type { Job, JobResult } from "../../jobs/jobs.types.ts";
import { DomainError } from "../../shared/errors.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import type { AutoDeployPayload } from "../releases/releases.types.ts";
import type { DeploymentsService } from "./deployments.service.ts";

export const AUTO_DEPLOY_ACTOR = "auto-deploy";

/**
 * Runs after a release is created and after each of its deployments succeeds: promotes it to every environment whose
 * `autoDeploy.branch` matches the release's branch and whose required environment it has already passed.
 */
export function createAutoDeployJob(deps: {
  projects: ProjectsService;
  releases: ReleasesService;
  deployments: DeploymentsService;
  logger: Logger;
}) {
  return async (job: Job): Promise<JobResult> => {
    const { releaseId } = job.payload as AutoDeployPayload;
    const release = await deps.releases.recordById(releaseId);
    const project = await deps.projects.recordById(release.projectId);
    const targets = (await deps.projects.environments(project.id)).filter((env) => env.autoDeployBranch === release.branch);
    for (const env of targets) {
      try {
        const { deployment, created } = await deps.deployments.promote({
          slug: project.slug,
          version: release.version,
          environment: env.name,
          actor: AUTO_DEPLOY_ACTOR,
        });
        if (created)
          deps.logger.info(
            { project: project.slug, release: release.version, environment: env.name, deployment: deployment.id },
            "auto-deploy queued",
          );
      } catch (error) {
        // Not yet allowed there (its required environment has not passed): a later success brings us back.
        if (error instanceof DomainError && error.code === "lifecycle_violation") continue;
        // Gates refuse it: nothing to do until reports change; people can still promote with an override.
        if (error instanceof DomainError && error.code === "gate_failed") {
          deps.logger.info(
            { project: project.slug, release: release.version, environment: env.name, reason: error.message },
            "auto-deploy refused by gates",
          );
          continue;
        }
        throw error;
      }
    }
    return { kind: "done" };
  };
}
