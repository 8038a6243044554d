import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import { projectsRoutes } from "./projects.routes.ts";
import { createProjectsService } from "./projects.service.ts";
import type { ExecutorConfigValidator } from "./projects.types.ts";

export function createProjectsFeature(deps: {
  db: Kysely<Database>;
  clock: Clock;
  validateExecutor: ExecutorConfigValidator;
  audit?: AuditRecorder;
}) {
  const service = createProjectsService(deps);
  return { service, routes: projectsRoutes(service) };
}
