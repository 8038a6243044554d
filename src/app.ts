import { readFileSync } from "node:fs";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { Config } from "./config/config.ts";
import type { Db } from "./db/connect.ts";
import { createApprovalsFeature } from "./features/approvals/approvals.feature.ts";
import { createAuditFeature } from "./features/audit/audit.feature.ts";
import { createAuthFeature } from "./features/auth/auth.feature.ts";
import { oidcSettings } from "./features/auth/oidc.settings.ts";
import { createCommitStatusFeature } from "./features/commit-status/commit-status.feature.ts";
import { createDashboardFeature } from "./features/dashboard/dashboard.feature.ts";
import { createDeploymentsFeature } from "./features/deployments/deployments.feature.ts";
import { getExecutor, validateExecutorConfig, warmUpExecutors } from "./features/deployments/executors/registry.ts";
import { createStepReports } from "./features/deployments/executors/step-reports.ts";
import { createEventsFeature } from "./features/events/events.feature.ts";
import { createFlagsFeature } from "./features/flags/flags.feature.ts";
import { createGatesFeature } from "./features/gates/gates.feature.ts";
import { createDeploymentEvents } from "./features/notifications/deployment.events.ts";
import { createNotificationsFeature } from "./features/notifications/notifications.feature.ts";
import { createProjectsFeature } from "./features/projects/projects.feature.ts";
import { createReleasesFeature } from "./features/releases/releases.feature.ts";
import { createReportsFeature } from "./features/reports/reports.feature.ts";
import { alertNotificationEvent } from "./features/runs/alerts.notice.ts";
import { createRunsFeature } from "./features/runs/runs.feature.ts";
import { createSecretsFeature } from "./features/secrets/secrets.feature.ts";
import { createSparkFeature } from "./features/spark/spark.feature.ts";
import { registerAuth } from "./http/auth.ts";
import { registerErrorHandling } from "./http/errors.ts";
import { registerHealth } from "./http/health.ts";
import { registerOpenApi } from "./http/openapi.ts";
import { registerAuthorization } from "./http/roles.ts";
import { registerStaticWeb } from "./http/static.ts";
import { JobRunner } from "./jobs/job.runner.ts";
import { hasOpenJob } from "./jobs/jobs.store.ts";
import { type Clock, systemClock } from "./shared/clock.ts";
import { resolveSecret } from "./shared/secrets.ts";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  clock?: Clock;
}

export interface App {
  http: FastifyInstance;
  jobs: JobRunner;
  services: {
    tokens: ReturnType<typeof createAuthFeature>["service"];
    users: ReturnType<typeof createAuthFeature>["users"];
    projects: ReturnType<typeof createProjectsFeature>["service"];
    releases: ReturnType<typeof createReleasesFeature>["service"];
    deployments: ReturnType<typeof createDeploymentsFeature>["service"];
    reports: ReturnType<typeof createReportsFeature>["service"];
  };
}

/** Wiring only: builds the HTTP server and the job runner from the features. `main.ts` listens and starts jobs. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, db, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const jobs = new JobRunner({
    db: db.kysely,
    capabilities: db.capabilities,
    clock,
    logger: logger.child({ component: "jobs" }),
    pollMs: config.JOB_POLL_MS,
    leaseMs: config.JOB_LEASE_MS,
    concurrency: config.JOB_CONCURRENCY,
  });
  const enqueue = jobs.enqueue.bind(jobs);
  const poke = jobs.poke.bind(jobs);

  const audit = createAuditFeature({
    db: db.kysely,
    clock,
    dialect: db.capabilities.dialect,
    resolveProject: (slug) => projects.service.record(slug),
  });
  const projects = createProjectsFeature({
    db: db.kysely,
    clock,
    validateExecutor: validateExecutorConfig,
    audit: audit.service,
  });
  const releases = createReleasesFeature({ db: db.kysely, clock, projects: projects.service, enqueue, audit: audit.service });
  const publicUrl = (config.STAGEGATE_PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, "");
  const auth = createAuthFeature({
    db: db.kysely,
    clock,
    projects: projects.service,
    publicUrl,
    audit: audit.service,
    oidc: oidcSettings({ ...config, publicUrl }),
  });
  const commitStatus = createCommitStatusFeature({
    db: db.kysely,
    clock,
    logger: logger.child({ component: "commit-status" }),
    enqueue,
    publicUrl,
    configFor: (projectId) => projects.service.commitStatusConfig(projectId),
  });
  const reports = createReportsFeature({
    onComplete: (run) => live.reportCompleted(run.projectId).then(() => commitStatus.onRunCompleted(run)),
    db: db.kysely,
    clock,
    projects: projects.service,
    limits: {
      maxBytes: config.REPORT_MAX_BYTES,
      maxDecompressedBytes: config.REPORT_MAX_DECOMPRESSED_BYTES,
      maxRatio: config.REPORT_MAX_RATIO,
    },
    defaultBranch: config.DEFAULT_BRANCH,
  });
  const notifications = createNotificationsFeature({
    db: db.kysely,
    clock,
    logger: logger.child({ component: "notifications" }),
    enqueue,
    channelsFor: (projectId, tx) => projects.service.notificationChannels(projectId, tx),
    projectIdOf: async (slug) => (await projects.service.record(slug)).id,
    resolveSecret,
    smtp: config.SMTP_HOST
      ? {
          host: config.SMTP_HOST,
          port: config.SMTP_PORT,
          secure: config.SMTP_SECURE,
          from: config.SMTP_FROM,
          ...(config.SMTP_USER && config.SMTP_PASS ? { auth: { user: config.SMTP_USER, pass: config.SMTP_PASS } } : {}),
        }
      : null,
  });
  const runs = createRunsFeature({
    notifyAlert: async (notice) => {
      const project = await projects.service.recordById(notice.run.projectId);
      const event = alertNotificationEvent(notice, { slug: project.slug, name: project.name }, publicUrl);
      return async (tx) => {
        await notifications.notify(tx, project.id, event);
      };
    },
    db: db.kysely,
    dialect: db.capabilities.dialect,
    clock,
    logger: logger.child({ component: "runs" }),
    projects: projects.service,
    releases: releases.service,
    authenticate: (secret) => auth.service.authenticate(secret),
    enqueue,
    hasOpenJob: (key) => hasOpenJob(db.kysely, key),
    audit: audit.service,
    retention: {
      days: config.RUNS_RETENTION_DAYS,
      bytes: config.RUNS_RETENTION_BYTES,
      everyMs: config.RUNS_RETENTION_INTERVAL_MS,
    },
    ingestRatePerSecond: config.RUNS_INGEST_RATE_LIMIT,
  });
  const gates = createGatesFeature({
    db: db.kysely,
    clock,
    views: reports.views,
    queries: reports.queries,
    runHealth: runs.health,
  });
  const live = createEventsFeature({ audit: audit.service, projectIdOf: async (s) => (await projects.service.record(s)).id });
  const events = createDeploymentEvents({
    db: db.kysely,
    logger: logger.child({ component: "notifications" }),
    projects: projects.service,
    releases: releases.service,
    views: reports.views,
    clock,
    publicUrl,
    notify: live.tap(notifications.notify),
  });
  const spark = createSparkFeature({
    db: db.kysely,
    clock,
    runs: runs.service,
    limits: { maxDecompressedBytes: config.SPARK_MAX_DECOMPRESSED_BYTES, maxRatio: config.SPARK_MAX_RATIO },
  });
  runs.addHealthCheck((run) => spark.service.criticalProblems(run.id));
  runs.addFindingsSource((run) => spark.service.runFindings(run.id));
  const secrets = createSecretsFeature({
    db: db.kysely,
    clock,
    projects: projects.service,
    audit: audit.service,
    dataDir: config.DATA_DIR,
  });
  const flags = createFlagsFeature({
    db: db.kysely,
    clock,
    dialect: db.capabilities.dialect,
    projects: projects.service,
    releases: releases.service,
    audit: audit.service,
    rateLimitPerSecond: config.FLAGS_RATE_LIMIT,
    enqueue,
    ...(db.pgPool ? { pgPool: db.pgPool } : {}),
  });
  projects.service.hooks.configApplied = flags.applyConfig;
  const deployments = createDeploymentsFeature({
    releaseFlags: flags.releaseFlags.prepareDeploymentSucceeded,
    resolveStep: secrets.service.resolveStep,
    attachReports: createStepReports({ reports: reports.service }),
    runs: runs.deploymentHooks,
    gates: gates.service,
    rowLocks: db.capabilities.dialect === "postgres",
    events,
    audit: audit.service,
    db: db.kysely,
    clock,
    logger: logger.child({ component: "deployments" }),
    projects: projects.service,
    releases: releases.service,
    getExecutor,
    enqueue,
    poke,
    publicUrl,
    logLimits: { headBytes: config.LOG_HEAD_BYTES, tailBytes: config.LOG_TAIL_BYTES },
    followPollMs: 250,
  });
  const approvals = createApprovalsFeature({
    db: db.kysely,
    clock,
    deployments: deployments.service,
    releases: releases.service,
    projects: projects.service,
    enqueue,
    audit: audit.service,
    events,
    publicUrl,
  });
  events.setApprovalLinks(approvals.links.linksFor);
  const dashboard = createDashboardFeature({
    db: db.kysely,
    clock,
    projects: projects.service,
    gates: gates.service,
    uiConfig: { oidc: config.OIDC_ISSUER_URL ? { loginUrl: "/api/v1/auth/oidc/login", label: "Sign in with SSO" } : null },
  });
  for (const [type, handler] of Object.entries({
    ...deployments.jobs,
    ...commitStatus.jobs,
    ...approvals.jobs,
    ...notifications.jobs,
    ...runs.jobs,
    ...flags.jobs,
  }))
    jobs.register(type, handler);
  jobs.atStart(runs.ensureRetentionJob);
  jobs.atStart(warmUpExecutors);

  const http = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Signed approval links travel as one path segment and are longer than the default 100.
    routerOptions: { maxParamLength: 1024 },
    // Request lines only at debug: at info the log is about deployments, not every poll of a dashboard.
    logController: new LogController({ disableRequestLogging: config.LOG_LEVEL !== "debug" && config.LOG_LEVEL !== "trace" }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerErrorHandling(http);
  await registerOpenApi(http, VERSION);
  await registerAuth(http, auth.authenticators);
  registerAuthorization(http, async (request) => {
    const params = request.params as Record<string, string | undefined>;
    const found = async <T>(read: () => Promise<T>) => read().catch(() => undefined);
    if (params.slug) return (await found(() => projects.service.record(params.slug ?? "")))?.id;
    const url = request.routeOptions.url ?? "";
    if (params.id && url.includes("/deployments/")) return deployments.service.projectIdOf(params.id);
    if (params.id && url.includes("/report-runs/"))
      return (await found(() => reports.service.record(params.id ?? "")))?.projectId;
    if (params.id && url.startsWith("/api/v1/runs/")) return (await found(() => runs.service.getRun(params.id ?? "")))?.projectId;
    return undefined;
  });
  registerHealth(http, db.kysely);
  await http.register(approvals.pageRoutes);
  await http.register(
    async (api) => {
      for (const routes of auth.routes) await api.register(routes);
      await api.register(audit.routes);
      await api.register(notifications.routes);
      await api.register(projects.routes);
      await api.register(releases.routes);
      await api.register(deployments.routes);
      await api.register(secrets.routes);
      for (const routes of reports.routes) await api.register(routes);
      await api.register(gates.routes);
      for (const routes of approvals.routes) await api.register(routes);
      await api.register(flags.routes);
      for (const routes of runs.routes) await api.register(routes);
      await api.register(spark.routes);
      await api.register(dashboard.routes);
      await api.register(live.routes);
    },
    { prefix: "/api/v1" },
  );
  await http.register(runs.otlpRoutes);
  await http.register(flags.ofrepRoutes);
  http.addHook("onClose", flags.close);
  // The background full-text indexer of run logs: no timer may touch the database after it closes.
  http.addHook("onClose", async () => runs.logs.stop());
  http.addHook("preClose", async () => live.close());
  registerStaticWeb(http);

  return {
    http,
    jobs,
    services: {
      tokens: auth.service,
      users: auth.users,
      projects: projects.service,
      releases: releases.service,
      deployments: deployments.service,
      reports: reports.service,
    },
  };
}
