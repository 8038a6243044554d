import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { DialectName } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions, JobHandler } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import type { Actor } from "../../shared/roles.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import { type AlertNotice, createAlertsService } from "./alerts.service.ts";
import { createIngestAuth } from "./ingest.auth.ts";
import { logsRoutes } from "./logs.routes.ts";
import { createLogsService } from "./logs.service.ts";
import { metricsRoutes } from "./metrics.routes.ts";
import { createMetricsService } from "./metrics.service.ts";
import { otlpRoutes } from "./otlp.routes.ts";
import { createOtlpService } from "./otlp.service.ts";
import { createRetention } from "./retention.service.ts";
import type { RetentionPolicy } from "./retention.types.ts";
import { createRunHealth } from "./run-health.ts";
import { runsRoutes } from "./runs.routes.ts";
import { createRunsService } from "./runs.service.ts";
import { createRunSummary, type RunFindingsSource } from "./runs.summary.ts";
import type { RunRecord } from "./runs.types.ts";
import { summaryRoutes } from "./summary.routes.ts";

export const RUN_WATCH_JOB = "runs.watch";
export const RUN_RETENTION_JOB = "runs.retention";
const RETENTION_KEY = "runs:retention";
/** How often a running run's alerts (silent nodes, duration) are evaluated when nothing arrives. */
const WATCH_EVERY_MS = 30_000;
/** Alerts evaluate this long after records or samples arrive, once for a burst of batches. */
const EVALUATE_AFTER_MS = 300;

export interface RunsFeatureDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  clock: Clock;
  logger: Logger;
  projects: Pick<ProjectsService, "record" | "recordById" | "environment" | "environments">;
  releases: Pick<ReleasesService, "record" | "recordById">;
  /** API-token authentication, for ingest routes that also accept a run's own token. */
  authenticate: (secret: string | undefined) => Promise<Actor>;
  enqueue: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
  /** Where firing / resolved alerts go (notification channels); absent = shown on the run only. */
  notifyAlert?: (notice: AlertNotice) => Promise<((tx: Queryable) => Promise<void>) | undefined>;
  /** Whether a pending or running job has this key (the retention job is scheduled once, by its key). */
  hasOpenJob: (key: string) => Promise<boolean>;
  audit?: AuditRecorder;
  /** Server defaults of retention (stagegate.yaml `runs.retention` overrides per project) and how often it runs. */
  retention: RetentionPolicy & { everyMs: number; batchRows?: number };
  /** Ingest requests per second per token; 0 = no limit. */
  ingestRatePerSecond: number;
}

/** Pipeline runs: the run lifecycle, logs of every node, metrics, alerts and the run page. */
export function createRunsFeature(deps: RunsFeatureDeps) {
  const service = createRunsService(deps);
  const logs = createLogsService(deps);
  const metrics = createMetricsService(deps);
  const alerts = createAlertsService({
    db: deps.db,
    clock: deps.clock,
    ...(deps.notifyAlert ? { notify: deps.notifyAlert } : {}),
  });
  const otlp = createOtlpService({ runs: service, logs, metrics, now: () => deps.clock.now().getTime() });
  const auth = createIngestAuth({
    runs: service,
    authenticate: deps.authenticate,
    ratePerSecond: deps.ingestRatePerSecond,
  });
  const retention = createRetention({
    db: deps.db,
    dialect: deps.dialect,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.audit ? { audit: deps.audit } : {}),
    defaults: { days: deps.retention.days, bytes: deps.retention.bytes },
    ...(deps.retention.batchRows ? { batchRows: deps.retention.batchRows } : {}),
  });
  const findingSources: RunFindingsSource[] = [];
  const summary = createRunSummary({
    findingSources,
    runs: service,
    logs,
    metrics,
    alerts,
    environmentsOf: (projectId) => deps.projects.environments(projectId),
  });

  const pending = new Set<string>();
  function evaluateSoon(run: RunRecord): void {
    if (pending.has(run.id)) return;
    pending.add(run.id);
    setTimeout(() => {
      pending.delete(run.id);
      service
        .getRun(run.id)
        .then((fresh) => alerts.evaluate(fresh))
        .catch((error: unknown) => deps.logger.error({ err: error, runId: run.id }, "alert evaluation failed"));
    }, EVALUATE_AFTER_MS).unref();
  }
  logs.onIngest(evaluateSoon);
  metrics.onIngest(evaluateSoon);
  service.onEnded(async (run) => {
    await alerts.evaluate(run);
  });
  /** Retention is one durable job that reschedules itself: scheduled when the runner starts and by every new run. */
  async function ensureRetentionJob(): Promise<void> {
    if (await deps.hasOpenJob(RETENTION_KEY)) return;
    await deps.enqueue(deps.db, {
      type: RUN_RETENTION_JOB,
      payload: {},
      key: RETENTION_KEY,
      runAt: new Date(deps.clock.now().getTime() + deps.retention.everyMs),
    });
  }

  service.onCreated(async (run) => {
    await deps.enqueue(deps.db, {
      type: RUN_WATCH_JOB,
      payload: { runId: run.id },
      key: `run:${run.id}`,
      runAt: new Date(deps.clock.now().getTime() + WATCH_EVERY_MS),
    });
    await ensureRetentionJob();
  });

  const watch: JobHandler = async (job) => {
    const { runId } = job.payload as { runId: string };
    const run = await service.getRun(runId).catch(() => undefined);
    if (!run) return { kind: "done" };
    await alerts.evaluate(run);
    return run.status === "running" ? { kind: "later", delayMs: WATCH_EVERY_MS } : { kind: "done" };
  };

  const sweep: JobHandler = async () => {
    // A failed sweep is logged and tried again next time: the job must outlive any one bad day.
    await retention.sweep().catch((error: unknown) => deps.logger.error({ err: error }, "run retention failed"));
    return { kind: "later", delayMs: deps.retention.everyMs };
  };

  const routes = [
    runsRoutes({ projects: deps.projects, runs: service, auth }),
    logsRoutes({ runs: service, logs, auth }),
    metricsRoutes({ runs: service, metrics, auth }),
    summaryRoutes({
      summary,
      alerts: async (id) => alerts.list((await service.getRun(id)).id),
    }),
  ];
  const healthChecks: Array<(run: RunRecord) => Promise<string[]>> = [];
  return {
    /** The runs API other features use (Spark attaches analyses to `service.getRun(id)`). */
    service,
    logs,
    metrics,
    alerts,
    /** For the `run_healthy` gate. */
    health: createRunHealth({ runs: service, alerts, checks: healthChecks }),
    /** Lets a feature built later (Spark) add evidence to the `run_healthy` gate. */
    addHealthCheck(check: (run: RunRecord) => Promise<string[]>): void {
      healthChecks.push(check);
    },
    /** Lets a feature built later (Spark) show its findings about a run in the run summary. */
    addFindingsSource(source: RunFindingsSource): void {
      findingSources.push(source);
    },
    /** Enforces retention now (the job does this every `retention.everyMs`). */
    retention,
    ensureRetentionJob,
    jobs: { [RUN_WATCH_JOB]: watch, [RUN_RETENTION_JOB]: sweep } as Record<string, JobHandler>,
    /** Under /api/v1. */
    routes,
    /** At the root: OTLP/HTTP `/v1/logs` and `/v1/metrics`. */
    otlpRoutes: otlpRoutes({ otlp, auth }),
    /** What the deployment runner calls: a deployment running gets a run; its end ends the run. */
    deploymentHooks: {
      running: (d: Parameters<typeof service.deploymentRunning>[0]) =>
        service.deploymentRunning(d).then(({ run, ingestToken }) => ({ id: run.id, ingestToken })),
      /** A step's command output, as records of the deployment's run (a JSON line keeps its fields). */
      stepOutput: async (runId: string, node: string, lines: string[]) => {
        await logs.ingestNdjson(await service.getRun(runId), lines.join("\n"), node);
      },
      /** The run collecting a deployment's logs and metrics, if it has one yet. */
      runOf: async (deploymentId: string) => (await service.runOfDeployment(deploymentId))?.id,
      ended: (deploymentId: string, status: string) => service.deploymentEnded(deploymentId, status),
    },
  };
}
