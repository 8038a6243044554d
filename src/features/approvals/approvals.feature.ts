import type { JobHandler } from "../../jobs/jobs.types.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { approvalsRoutes } from "./approvals.routes.ts";
import { createApprovalsService } from "./approvals.service.ts";
import { APPROVAL_EXPIRY_JOB } from "./approvals.types.ts";

type Deps = Parameters<typeof createApprovalsService>[0] & { projects: ProjectsService };

export function createApprovalsFeature(deps: Deps) {
  const service = createApprovalsService(deps);
  // The deployments service calls back when a promotion must wait for approval.
  deps.deployments.hooks.awaitingApproval = service.awaitingApproval;
  const jobs: Record<string, JobHandler> = { [APPROVAL_EXPIRY_JOB]: service.expire };
  return {
    service,
    jobs,
    routes: approvalsRoutes({
      approvals: service,
      deployments: deps.deployments,
      projects: deps.projects,
      releases: deps.releases,
    }),
  };
}
