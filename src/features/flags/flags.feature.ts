import type { Kysely } from "kysely";
import type pg from "pg";
import type { DialectName } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions, JobHandler } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import { createRateLimiter } from "../../shared/rate-limit.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ProjectConfig, ProjectRecord } from "../projects/projects.types.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import { FLAG_CHANGE_JOB } from "./flags.changes.ts";
import { pgVersionFeed } from "./flags.notify.ts";
import { createReleaseFlags } from "./flags.releases.ts";
import { flagsRoutes } from "./flags.routes.ts";
import { createFlagsService } from "./flags.service.ts";
import { createFlagServing } from "./flags.serving.ts";
import { ofrepRoutes } from "./ofrep.routes.ts";
import { createSdkKeysService } from "./sdk-keys.service.ts";

/**
 * Feature flags: `routes` (management, under /api/v1) and `ofrepRoutes` (OFREP and the SDK sync endpoints, at the
 * root, authenticated by SDK keys). `close()` ends the change watcher; call it before closing the database.
 */
export function createFlagsFeature(deps: {
  db: Kysely<Database>;
  clock: Clock;
  dialect: DialectName;
  projects: ProjectsService;
  releases: ReleasesService;
  audit: AuditRecorder;
  /** OFREP/SDK requests per second per SDK key (token bucket, per replica); 0 for no limit. Default 10 000. */
  rateLimitPerSecond?: number;
  /** The durable job queue: scheduled flag changes are applied by a job at their time. */
  enqueue?: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
  /** PostgreSQL: the pool to LISTEN on for flag-set versions other replicas commit (instead of polling). */
  pgPool?: pg.Pool;
  /** How often the change watcher polls the database for versions written elsewhere; default 500 ms. */
  watchMs?: number;
}) {
  const serving = createFlagServing({
    db: deps.db,
    clock: deps.clock,
    ...(deps.watchMs ? { watchMs: deps.watchMs } : {}),
    ...(deps.pgPool ? { feed: pgVersionFeed(deps.pgPool) } : {}),
  });
  const service = createFlagsService({ ...deps, onVersion: (env, version) => serving.versionWritten(env, version) });
  const sdkKeys = createSdkKeysService(deps);
  const limiter = createRateLimiter(deps.rateLimitPerSecond ?? 10_000);
  const releaseFlags = createReleaseFlags({ ...deps, flags: service });
  const management = flagsRoutes({ flags: service, sdkKeys, projects: deps.projects, releaseFlags });
  const ofrep = ofrepRoutes({ serving, sdkKeys, limiter });
  const jobs: Record<string, JobHandler> = { [FLAG_CHANGE_JOB]: service.changes.applyDue };
  return {
    service,
    sdkKeys,
    serving,
    /**
     * For the deployment runner: call `prepareDeploymentSucceeded(d)` before the transaction that marks `d` succeeded,
     * and the function it returns (if any) inside it.
     */
    releaseFlags,
    /** For the projects feature: apply `flags:` of a stagegate.yaml once the config is applied. */
    applyConfig: async (project: ProjectRecord, config: ProjectConfig, actor: string) =>
      config.flags ? service.applyDeclared(project, config.flags, actor) : false,
    routes: management,
    jobs,
    ofrepRoutes: ofrep,
    close: () => serving.close(),
  };
}
