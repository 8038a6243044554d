import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, DeploymentsTable, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions, Job, JobContext, JobResult } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import { formatDuration } from "../../shared/duration.ts";
import { errorMessage } from "../../shared/errors.ts";
import { newSecret, sha256Hex } from "../../shared/hashing.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { DeploymentEvents } from "../notifications/deployment.events.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { StepSpec } from "../projects/projects.types.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import { AUTO_DEPLOY_JOB } from "../releases/releases.types.ts";
import { isTerminal, TRANSITIONS } from "./deployment.state.ts";
import { DeploymentLogSink } from "./deployment-log.sink.ts";
import { createStepContexts } from "./deployment-step.context.ts";
import * as store from "./deployments.store.ts";
import { type DeploymentRecord, type DeploymentRunHooks, deploymentJobKey } from "./deployments.types.ts";
import { type Executor, type LogSink, type StepOutcome, TerminalError } from "./executors/executor.types.ts";
import type { AttachInput } from "./executors/step-reports.ts";
import { teeToRun } from "./run-output.sink.ts";

const WAIT_FOR_TURN_MS = 1000;
const CANCEL_CHECK_MS = 500;
const DEFAULT_POLL_MS = 5000;

export interface RunnerDeps {
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
  audit?: AuditRecorder;
  events?: Pick<DeploymentEvents, "prepare" | "deliver">;
  /** Queues the rollback of a failed deploy (environment policy `rollbackOnFailure`); returns a line for the log. */
  rollbackAfterFailure?: (failed: DeploymentRecord) => Promise<string | undefined>;
  /** Uploads the report files a step declares (`reports:`) to the release's commit; returns a line for the log. */
  attachReports?: (input: AttachInput) => Promise<string>;
  /** Resolves `${secret:NAME}` in a step's config at run time and masks the values in the log (secrets feature). */
  resolveStep?: (input: {
    projectId: string;
    environment: string;
    config: unknown;
    log: LogSink;
  }) => Promise<{ config: unknown; log: LogSink }>;
  runs?: DeploymentRunHooks;
  /** Flags (features/flags): a succeeded deploy applies its release's flag manifest, a rollback restores the flags from before. */
  releaseFlags?: (d: DeploymentRecord) => Promise<((tx: Queryable) => Promise<void>) | undefined>;
}

const done: JobResult = { kind: "done" };
const later = (delayMs: number): JobResult => ({ kind: "later", delayMs: Math.max(0, Math.round(delayMs)) });

type Finish = "succeed" | "fail" | "error" | "cancel";

/** The deployment's run as its steps see it (see RunnerDeps.runs); null without runs or when it could not be made. */
type StepRun = { id: string; ingestToken: string } | null;

/** Runs a deployment's steps from the job queue: waits for its turn, calls executors, records outcomes, survives restarts. */
export function createDeploymentRunner(deps: RunnerDeps) {
  const { db, clock } = deps;
  const now = () => clock.now().toISOString();
  const { context, attachReports } = createStepContexts(deps);

  async function update(d: DeploymentRecord, set: Partial<DeploymentsTable>): Promise<DeploymentRecord> {
    await store.updateDeployment(db, d.id, { from: ["running"], set, at: now() });
    const fresh = await store.findDeployment(db, d.id);
    if (!fresh) throw new Error(`deployment ${d.id} vanished`);
    return fresh;
  }

  function nextStep(d: DeploymentRecord): Promise<DeploymentRecord> {
    return update(d, {
      step_index: d.stepIndex + 1,
      step_attempt: 0,
      step_state: null,
      step_deadline: null,
      external_id: null,
      callback_result: null,
    });
  }

  async function finish(d: DeploymentRecord, event: Finish, reason: string | null, sink: DeploymentLogSink): Promise<JobResult> {
    const { to, from } = TRANSITIONS[event];
    sink.write("system", `deployment ${to}${reason ? `: ${reason}` : ""}`);
    await sink.flush();
    const type =
      to === "succeeded"
        ? "deployment_succeeded"
        : to === "failed"
          ? "deployment_failed"
          : to === "errored"
            ? "deployment_errored"
            : undefined;
    // Read what the message needs before the transaction; a notification problem never stops a deployment from ending.
    const prepared = type ? await deps.events?.prepare(type, { ...d, status: to, reason }).catch(() => undefined) : undefined;
    const applyFlags =
      to === "succeeded"
        ? await deps.releaseFlags?.(d).catch((error: unknown) => {
            deps.logger.error({ err: error }, "could not prepare the release's flag changes");
            sink.write("system", `flag manifest not applied: ${errorMessage(error)}`);
            return undefined;
          })
        : undefined;
    await db.transaction().execute(async (tx) => {
      const at = now();
      const ended = await store.updateDeployment(tx, d.id, {
        from,
        set: { status: to, reason, finished_at: at, step_state: null, step_deadline: null },
        at,
      });
      if (!ended) return;
      await applyFlags?.(tx);
      for (const next of await store.listQueued(tx, d.environmentId)) await deps.poke(tx, deploymentJobKey(next.id));
      if (to === "succeeded") await deps.enqueue(tx, { type: AUTO_DEPLOY_JOB, payload: { releaseId: d.releaseId } });
      await deps.events?.deliver(tx, prepared);
      await deps.audit?.append(tx, {
        actor: "system",
        action: `deployment.${to}`,
        projectId: d.projectId,
        subject: { type: "deployment", id: d.id },
        data: { environment: d.environmentName, release: d.releaseVersion, kind: d.kind, reason },
      });
    });
    await deps.runs?.ended(d.id, to).catch((error: unknown) => deps.logger.error({ err: error }, "could not end the run"));
    if (to === "failed" && d.kind === "deploy" && d.environmentSpec.rollbackOnFailure) await rollBack(d, sink);
    return done;
  }

  /** `rollbackOnFailure: true`: a failed deploy queues a redeploy of the environment's last good release. */
  async function rollBack(d: DeploymentRecord, sink: DeploymentLogSink): Promise<void> {
    try {
      const line = await deps.rollbackAfterFailure?.(d);
      if (line) sink.write("system", line);
    } catch (error) {
      sink.write("system", `the automatic rollback could not be queued: ${errorMessage(error)}`);
    }
  }

  /** Queued → running when this is the oldest queued deployment of its environment and none runs there. */
  async function takeTurn(d: DeploymentRecord): Promise<boolean> {
    const [first] = await store.listQueued(db, d.environmentId);
    if (first?.id !== d.id || (await store.hasRunning(db, d.environmentId))) return false;
    // Read before the transaction, as `finish` does; a notification problem never holds a deployment back.
    const started = await deps.events?.prepare("deployment_started", { ...d, status: "running" }).catch(() => undefined);
    try {
      const at = now();
      return await db.transaction().execute(async (tx) => {
        const moved = await store.updateDeployment(tx, d.id, {
          from: ["queued"],
          set: { status: "running", started_at: at, step_index: 0, step_attempt: 0 },
          at,
        });
        if (moved) await deps.events?.deliver(tx, started);
        return moved;
      });
    } catch (error) {
      // Another replica started a deployment here between our check and update: the database said no.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async function cancelTarget(d: DeploymentRecord, step: StepSpec | undefined, sink: DeploymentLogSink): Promise<JobResult> {
    const executor = step ? deps.getExecutor(step.type) : undefined;
    if (step && executor?.cancel && d.externalId) {
      try {
        await executor.cancel(await context(d, step, sink, AbortSignal.timeout(30_000), "", null));
        sink.write("system", `asked ${step.type} to cancel run ${d.externalId}`);
      } catch (error) {
        sink.write("system", `could not cancel run ${d.externalId} at the target: ${errorMessage(error)}`);
      }
    }
    return finish(d, "cancel", "cancelled on request while running", sink);
  }

  async function invoke(
    d: DeploymentRecord,
    step: StepSpec,
    executor: Executor,
    mode: "start" | "poll",
    sink: DeploymentLogSink,
    jobSignal: AbortSignal,
    run: StepRun,
  ) {
    const token = newSecret("cb");
    const current = await update(d, {
      step_state: "executing",
      ...(mode === "start" ? { callback_token_hash: sha256Hex(token), callback_result: null } : {}),
    });
    const cancelled = new AbortController();
    const watch = setInterval(() => {
      store
        .findDeployment(db, d.id)
        .then((fresh) => fresh?.cancelRequested && cancelled.abort(new Error("cancelled")))
        .catch(() => undefined);
    }, CANCEL_CHECK_MS);
    const signal = AbortSignal.any([cancelled.signal, jobSignal]);
    const runs = deps.runs;
    const output =
      run && runs
        ? teeToRun(
            sink,
            (lines) => runs.stepOutput(run.id, `step:${step.name}`, lines),
            (error) => deps.logger.warn({ err: error, deploymentId: d.id }, "could not copy step output to the run"),
          )
        : undefined;
    try {
      const ctx = await context(current, step, output ?? sink, signal, token, run);
      const outcome: StepOutcome = mode === "start" || !executor.poll ? await executor.start(ctx) : await executor.poll(ctx);
      return { outcome, current };
    } catch (error) {
      return { error, cancelled: cancelled.signal.aborted, current };
    } finally {
      clearInterval(watch);
      await output?.close();
    }
  }

  async function runSteps(
    initial: DeploymentRecord,
    sink: DeploymentLogSink,
    jobSignal: AbortSignal,
    run: StepRun,
  ): Promise<JobResult> {
    let d = initial;
    for (;;) {
      const step = d.environmentSpec.steps[d.stepIndex];
      if (d.cancelRequested) return cancelTarget(d, step, sink);
      if (!step) return finish(d, "succeed", null, sink);
      const executor = deps.getExecutor(step.type);
      if (!executor) return finish(d, "error", `executor type "${step.type}" is not known to this server`, sink);
      let mode: "start" | "poll" = "start";
      switch (d.stepState) {
        case null:
          sink.write(
            "system",
            `step ${d.stepIndex + 1}/${d.environmentSpec.steps.length} "${step.name}" (${step.type}) starting${d.stepAttempt > 0 ? `, attempt ${d.stepAttempt + 1}` : ""}`,
          );
          break;
        case "executing":
          if (d.externalId && executor.poll) mode = "poll";
          else if (!executor.safeToRetry) {
            return finish(
              d,
              "error",
              `the server stopped while step "${step.name}" was running (lease lost), so its outcome is unknown; check the target, then promote again`,
              sink,
            );
          }
          sink.write("system", `resuming step "${step.name}" after the server restarted`);
          break;
        case "polling":
          mode = "poll";
          break;
        case "awaiting_callback": {
          if (d.callbackResult?.status === "succeeded") {
            sink.write(
              "system",
              `step "${step.name}" reported success${d.callbackResult.message ? `: ${d.callbackResult.message}` : ""}`,
            );
            d = await nextStep(d);
            continue;
          }
          if (d.callbackResult?.status === "failed")
            return finish(d, "fail", d.callbackResult.message ?? `step "${step.name}" reported failure`, sink);
          const wait = Date.parse(d.stepDeadline ?? now()) - clock.now().getTime();
          if (wait > 0) return later(wait);
          return finish(d, "error", `no callback for step "${step.name}" before its deadline`, sink);
        }
      }
      const result = await invoke(d, step, executor, mode, sink, jobSignal, run);
      d = result.current;
      if ("error" in result) {
        if (result.cancelled) return cancelTarget(d, step, sink);
        if (jobSignal.aborted) throw result.error;
        const message = errorMessage(result.error);
        if (result.error instanceof TerminalError) return finish(d, "error", `step "${step.name}": ${message}`, sink);
        if (d.stepAttempt < (step.retries ?? d.environmentSpec.retries)) {
          const hinted = (result.error as { retryAfterMs?: unknown }).retryAfterMs;
          const delay = typeof hinted === "number" ? hinted : d.environmentSpec.backoffMs * 2 ** d.stepAttempt;
          sink.write(
            "system",
            `step "${step.name}" attempt ${d.stepAttempt + 1} failed: ${message}; retrying in ${formatDuration(delay)}`,
          );
          await sink.flush();
          await update(d, { step_attempt: d.stepAttempt + 1, step_state: null, external_id: null });
          return later(delay);
        }
        const attempts = d.stepAttempt + 1;
        return finish(
          d,
          "error",
          `step "${step.name}" ${attempts > 1 ? `failed ${attempts} times; last error: ` : "failed: "}${message}`,
          sink,
        );
      }
      const { outcome } = result;
      switch (outcome.status) {
        case "succeeded":
          sink.write("system", `step "${step.name}" succeeded${outcome.message ? `: ${outcome.message}` : ""}`);
          await attachReports(d, step, sink);
          d = await nextStep(d);
          continue;
        case "failed":
          await attachReports(d, step, sink);
          if (step.verify && !step.continueOnError) {
            return finish(d, "fail", `verification step "${step.name}" failed: ${outcome.message}`, sink);
          }
          if (step.continueOnError) {
            sink.write("system", `step "${step.name}" failed (${outcome.message}); continuing, as it has continueOnError`);
            d = await nextStep(d);
            continue;
          }
          return finish(d, "fail", `step "${step.name}": ${outcome.message}`, sink);
        case "cancelled":
          return finish(d, "cancel", `step "${step.name}": ${outcome.message}`, sink);
        case "running": {
          const externalId = outcome.externalId ?? d.externalId;
          const external = { external_id: externalId, external_url: outcome.externalUrl ?? d.externalUrl };
          if (outcome.callbackTimeoutMs !== undefined) {
            const deadline = new Date(clock.now().getTime() + outcome.callbackTimeoutMs).toISOString();
            sink.write("system", `step "${step.name}" waiting for a callback until ${deadline}`);
            await sink.flush();
            d = await update(d, { step_state: "awaiting_callback", step_deadline: deadline, ...external });
            if (d.callbackResult) continue;
            return later(outcome.callbackTimeoutMs);
          }
          await sink.flush();
          d = await update(d, { step_state: "polling", ...external });
          return later(outcome.pollAfterMs ?? DEFAULT_POLL_MS);
        }
      }
    }
  }

  async function runDeployment(job: Job, jobContext: JobContext): Promise<JobResult> {
    const { deploymentId } = job.payload as { deploymentId: string };
    let d = await store.findDeployment(db, deploymentId);
    if (!d || isTerminal(d.status)) return done;
    if (d.status === "queued") {
      if (!(await takeTurn(d))) return later(WAIT_FOR_TURN_MS);
      d = await store.findDeployment(db, deploymentId);
      if (!d) return done;
    }
    if (d.status !== "running") return done;
    const run = deps.runs
      ? await deps.runs.running(d).catch((error: unknown) => {
          deps.logger.error({ err: error }, "could not start the run");
          return null;
        })
      : null;
    const sink = await DeploymentLogSink.open({ db, clock, deploymentId, ...deps.logLimits });
    try {
      return await runSteps(d, sink, jobContext.signal, run);
    } finally {
      await sink
        .flush()
        .catch((error: unknown) => deps.logger.error({ err: error, deploymentId }, "could not store deployment log"));
    }
  }

  return { runDeployment };
}
