import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions, JobHandler } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import { AUTO_DEPLOY_JOB } from "../releases/releases.types.ts";
import { createAutoDeployJob } from "./auto-deploy.job.ts";
import { createDeploymentRunner } from "./deployment.runner.ts";
import { createDeploymentQueries } from "./deployments.queries.ts";
import { deploymentsRoutes } from "./deployments.routes.ts";
import { createDeploymentsService } from "./deployments.service.ts";
import { DEPLOYMENT_JOB } from "./deployments.types.ts";
import type { Executor } from "./executors/executor.types.ts";

export function createDeploymentsFeature(deps: {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  projects: ProjectsService;
  releases: ReleasesService;
  getExecutor: (type: string) => Executor | undefined;
  enqueue: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
  poke: (tx: Queryable, key: string) => Promise<void>;
  publicUrl: string;
  logLimits: { headBytes: number; tailBytes: number };
  followPollMs: number;
}) {
  const service = createDeploymentsService(deps);
  const queries = createDeploymentQueries({ ...deps, followPollMs: deps.followPollMs });
  const runner = createDeploymentRunner(deps);
  const jobs: Record<string, JobHandler> = {
    [DEPLOYMENT_JOB]: runner.runDeployment,
    [AUTO_DEPLOY_JOB]: createAutoDeployJob({ ...deps, deployments: service }),
  };
  return { service, queries, jobs, routes: deploymentsRoutes({ db: deps.db, deployments: service, queries }) };
}
