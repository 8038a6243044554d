import type { Kysely } from "kysely";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { releasesRoutes } from "./releases.routes.ts";
import { createReleasesService } from "./releases.service.ts";

export function createReleasesFeature(deps: {
  db: Kysely<Database>;
  clock: Clock;
  projects: ProjectsService;
  enqueue: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
  audit?: AuditRecorder;
}) {
  const service = createReleasesService(deps);
  return { service, routes: releasesRoutes({ projects: deps.projects, releases: service }) };
}
