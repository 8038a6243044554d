import type { Kysely } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import { createReleaseFlags } from "./flags.releases.ts";
import { flagsRoutes } from "./flags.routes.ts";
import { createFlagsService } from "./flags.service.ts";
import { createFlagServing } from "./flags.serving.ts";
import { ofrepRoutes } from "./ofrep.routes.ts";
import { createRateLimiter } from "./rate-limit.ts";
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
  /** How often the change watcher polls the database for versions written elsewhere; default 500 ms. */
  watchMs?: number;
}) {
  const serving = createFlagServing({ db: deps.db, clock: deps.clock, ...(deps.watchMs ? { watchMs: deps.watchMs } : {}) });
  const service = createFlagsService({ ...deps, onVersion: (env, version) => serving.versionWritten(env, version) });
  const sdkKeys = createSdkKeysService(deps);
  const limiter = createRateLimiter(deps.rateLimitPerSecond ?? 10_000);
  const releaseFlags = createReleaseFlags({ ...deps, flags: service });
  const management = flagsRoutes({ flags: service, sdkKeys, projects: deps.projects, releaseFlags });
  const ofrep = ofrepRoutes({ serving, sdkKeys, limiter });
  return {
    service,
    sdkKeys,
    serving,
    /**
     * For the deployment runner: call `prepareDeploymentSucceeded(d)` before the transaction that marks `d` succeeded,
     * and the function it returns (if any) inside it.
     */
    releaseFlags,
    routes: management,
    ofrepRoutes: ofrep,
    close: () => serving.close(),
  };
}
