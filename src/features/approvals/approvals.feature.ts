import type { JobHandler } from "../../jobs/jobs.types.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { approvalLinkApiRoutes, approvalLinkPageRoutes } from "./approval-links.routes.ts";
import { createApprovalLinks } from "./approval-links.service.ts";
import { approvalsRoutes } from "./approvals.routes.ts";
import { createApprovalsService } from "./approvals.service.ts";
import { APPROVAL_EXPIRY_JOB } from "./approvals.types.ts";

type Deps = Parameters<typeof createApprovalsService>[0] & { projects: ProjectsService; publicUrl: string };

export function createApprovalsFeature(deps: Deps) {
  const service = createApprovalsService(deps);
  // The deployments service calls back when a promotion must wait for approval.
  deps.deployments.hooks.awaitingApproval = service.awaitingApproval;
  const jobs: Record<string, JobHandler> = { [APPROVAL_EXPIRY_JOB]: service.expire };
  const links = createApprovalLinks({ db: deps.db, clock: deps.clock, approvals: service, publicUrl: deps.publicUrl });
  return {
    service,
    links,
    jobs,
    routes: [
      approvalsRoutes({ approvals: service, deployments: deps.deployments, projects: deps.projects, releases: deps.releases }),
      approvalLinkApiRoutes({ links }),
    ],
    pageRoutes: approvalLinkPageRoutes({ links, deployments: deps.deployments }),
  };
}
