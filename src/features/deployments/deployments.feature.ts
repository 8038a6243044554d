import type { JobHandler } from "../../jobs/jobs.types.ts";
import { AUTO_DEPLOY_JOB } from "../releases/releases.types.ts";
import { createAutoDeployJob } from "./auto-deploy.job.ts";
import { createDeploymentRunner, type RunnerDeps } from "./deployment.runner.ts";
import { createDeploymentQueries } from "./deployments.queries.ts";
import { deploymentsRoutes } from "./deployments.routes.ts";
import { createDeploymentsService, type DeploymentsDeps } from "./deployments.service.ts";
import { DEPLOYMENT_JOB } from "./deployments.types.ts";

export function createDeploymentsFeature(
  deps: RunnerDeps & { followPollMs: number; gates: DeploymentsDeps["gates"]; rowLocks: boolean },
) {
  const service = createDeploymentsService(deps);
  const queries = createDeploymentQueries(deps);
  const runner = createDeploymentRunner({ ...deps, rollbackAfterFailure: service.rollbackAfterFailure });
  const jobs: Record<string, JobHandler> = {
    [DEPLOYMENT_JOB]: runner.runDeployment,
    [AUTO_DEPLOY_JOB]: createAutoDeployJob({ ...deps, deployments: service }),
  };
  return { service, queries, jobs, routes: deploymentsRoutes({ db: deps.db, deployments: service, queries }) };
}
