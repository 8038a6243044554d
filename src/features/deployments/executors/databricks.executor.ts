import { type Static, Type } from "typebox";
import { formatDuration } from "../../../shared/duration.ts";
import { sha256Hex } from "../../../shared/hashing.ts";
import { clientCredentialsToken } from "./azure-ad.token.ts";
import { HttpUrlSchema } from "./executor.schema.ts";
import { type ExecutionContext, type Executor, type StepOutcome, TerminalError } from "./executor.types.ts";
import {
  fillReleaseAll,
  keepPolling,
  POLL_RETRY,
  pollDelay,
  pollingTimes,
  progress,
  throwIfAborted,
  timedOut,
  timeoutError,
  tryCancel,
} from "./remote-run.ts";
import { field, isOk, requestTarget, snippet, stringField, type TargetResponse, terminalFor } from "./target.http.ts";

// Databricks Jobs API 2.1: https://docs.databricks.com/api/workspace/jobs
const TIMES = pollingTimes({ timeout: "6h", poll: "15s", onTimeout: "Cancel the run" });
const TRACE_LINES = 30;

export const DatabricksConfigSchema = Type.Refine(
  Type.Object(
    {
      host: HttpUrlSchema({ description: "Workspace URL, e.g. https://adb-123.4.azuredatabricks.net" }),
      jobId: Type.Integer({ minimum: 1, description: "The job to run (run-now)" }),
      jobParameters: Type.Optional(
        Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: "job_parameters sent with every run" }),
      ),
      releaseParameters: Type.Optional(
        Type.Boolean({
          default: true,
          description: "Also send release_version, commit_sha and environment as job parameters (the job must define them)",
        }),
      ),
      token: Type.Optional(Type.String({ minLength: 1, description: "Personal access token, e.g. ${secret:DATABRICKS_TOKEN}" })),
      clientId: Type.Optional(Type.String({ minLength: 1, description: "Service principal id for OAuth machine-to-machine" })),
      clientSecret: Type.Optional(Type.String({ minLength: 1, description: "Service principal OAuth secret" })),
      ...TIMES.schema,
    },
    { additionalProperties: false },
  ),
  (config) => (config.token !== undefined) !== (config.clientId !== undefined && config.clientSecret !== undefined),
  () => "needs exactly one way to sign in: `token` (a personal access token) or `clientId` + `clientSecret` (OAuth M2M)",
);
export type DatabricksConfig = Static<typeof DatabricksConfigSchema>;
type Ctx = ExecutionContext<DatabricksConfig>;

const ACTIVE = new Set(["QUEUED", "PENDING", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"]);

export const databricksExecutor: Executor<DatabricksConfig> = {
  type: "databricks",
  description:
    "Runs a Databricks job (jobs/run-now) with the release as job parameters and polls it; failed tasks' errors and traces go to the log.",
  configSchema: DatabricksConfigSchema,
  // run-now carries an idempotency token derived from the deployment step: starting again returns the same run.
  safeToRetry: true,

  async start(ctx) {
    throwIfAborted(ctx.signal);
    const { config } = ctx;
    const jobParameters = {
      ...(config.releaseParameters === false
        ? {}
        : { release_version: ctx.release.version, commit_sha: ctx.release.commitSha, environment: ctx.environment.name }),
      ...fillReleaseAll(config.jobParameters, ctx),
    };
    ctx.log.write("system", `starting Databricks job ${config.jobId} on ${new URL(config.host).host}`);
    const response = await call(ctx, {
      method: "POST",
      path: "/api/2.1/jobs/run-now",
      body: { job_id: config.jobId, job_parameters: jobParameters, idempotency_token: idempotencyToken(ctx) },
    });
    const runId = stringField(response.json, "run_id");
    if (!isOk(response) || !runId) throw failure(response, `run-now of job ${config.jobId}`);
    const number = stringField(response.json, "number_in_job");
    const link = await runPageUrl(ctx, runId);
    ctx.log.write(
      "system",
      `Databricks run ${runId}${number ? ` (#${number} of job ${config.jobId})` : ""} started${link ? `: ${link}` : ""}`,
    );
    return {
      status: "running",
      externalId: runId,
      ...(link ? { externalUrl: link } : {}),
      pollAfterMs: TIMES.pollMs(config),
      message: "job run started",
    };
  },

  poll(ctx) {
    const minPollMs = TIMES.pollMs(ctx.config);
    return keepPolling(ctx, { minPollMs, poll: () => pollRun(ctx, minPollMs) });
  },

  async cancel(ctx) {
    if (ctx.externalId) await cancelRun(ctx, ctx.externalId);
  },
};

/** At most 64 characters, the same for every attempt of this deployment's step, different for any other. */
export function idempotencyToken(ctx: Pick<Ctx, "deployment" | "step" | "config">): string {
  return `stagegate-${sha256Hex(`${ctx.deployment.id}/${ctx.step.index}/${ctx.config.jobId}`).slice(0, 40)}`;
}

/** The run's page, for the deployment's link; run-now does not return it, runs/get does. */
async function runPageUrl(ctx: Ctx, runId: string): Promise<string | undefined> {
  try {
    const response = await call(ctx, {
      method: "GET",
      path: `/api/2.1/jobs/runs/get?run_id=${encodeURIComponent(runId)}`,
      retry: POLL_RETRY,
    });
    return isOk(response) ? stringField(response.json, "run_page_url") : undefined;
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") throw error;
    return undefined;
  }
}

async function pollRun(ctx: Ctx, minPollMs: number): Promise<StepOutcome> {
  const runId = ctx.externalId;
  if (!runId) throw new TerminalError("no Databricks run id to poll (the step was not started)");
  const response = await call(ctx, {
    method: "GET",
    path: `/api/2.1/jobs/runs/get?run_id=${encodeURIComponent(runId)}`,
    retry: POLL_RETRY,
  });
  if (!isOk(response)) throw failure(response, `reading run ${runId}`);
  const run = response.json;
  const state = field(run, "state");
  const lifeCycle = stringField(state, "life_cycle_state") ?? "";
  const result = stringField(state, "result_state");
  const stateMessage = stringField(state, "state_message") ?? "";
  const link = stringField(run, "run_page_url");
  const startedAt = Number(stringField(run, "start_time") ?? Number.NaN);
  const elapsed = Number.isFinite(startedAt) ? Date.now() - startedAt : 0;
  const label = `Databricks run ${runId}`;
  const where = link ? ` (${link})` : "";

  if (ACTIVE.has(lifeCycle)) {
    const timeoutMs = TIMES.timeoutMs(ctx.config);
    if (lifeCycle !== "TERMINATING" && timedOut(startedAt, timeoutMs)) {
      const note = await tryCancel(() => cancelRun(ctx, runId), label);
      ctx.log.write("system", note);
      throw timeoutError(label, timeoutMs, note);
    }
    progress(ctx, `${label}: ${lifeCycle}${taskSummary(run)}`);
    return { status: "running", pollAfterMs: pollDelay(elapsed, minPollMs), message: lifeCycle };
  }
  ctx.log.write(
    "system",
    `${label} ${lifeCycle}${result ? `/${result}` : ""} after ${formatDuration(elapsed)}${stateMessage ? `: ${stateMessage}` : ""}`,
  );
  if (lifeCycle === "INTERNAL_ERROR") {
    throw new TerminalError(
      `${label} hit an internal error in the Jobs service${stateMessage ? `: ${stateMessage}` : ""}${where}`,
    );
  }
  if (lifeCycle === "SKIPPED")
    return { status: "failed", message: `${label} was skipped${stateMessage ? `: ${stateMessage}` : ""}${where}` };
  switch (result) {
    case "SUCCESS":
      return { status: "succeeded", message: `${label} succeeded` };
    case "SUCCESS_WITH_FAILURES":
      return { status: "succeeded", message: `${label} succeeded with some failed non-leaf tasks` };
    case "CANCELED":
    case "UPSTREAM_CANCELED":
      return { status: "cancelled", message: `${label} was cancelled in Databricks${where}` };
    default: {
      const errors = await failedTaskErrors(ctx, run);
      const first = errors[0] ?? stateMessage;
      return { status: "failed", message: `${label} ended ${result ?? lifeCycle}${first ? `: ${first}` : ""}${where}` };
    }
  }
}

function taskSummary(run: unknown): string {
  const tasks = field(run, "tasks");
  if (!Array.isArray(tasks) || tasks.length < 2) return "";
  const states = tasks.map((task: unknown) => {
    const state = field(task, "state");
    const result = stringField(state, "result_state");
    return `${stringField(task, "task_key") ?? "?"}=${stringField(state, "life_cycle_state") ?? "?"}${result ? `/${result}` : ""}`;
  });
  return ` (${states.join(", ")})`;
}

/** runs/get-output of each failed task: its error for the message, the error and trace for the log. */
async function failedTaskErrors(ctx: Ctx, run: unknown): Promise<string[]> {
  const tasks = field(run, "tasks");
  const failed = (Array.isArray(tasks) ? tasks : [run]).filter((task: unknown) =>
    ["FAILED", "TIMEDOUT"].includes(stringField(field(task, "state"), "result_state") ?? ""),
  );
  const errors: string[] = [];
  for (const task of failed.slice(0, 5)) {
    const taskRunId = stringField(task, "run_id");
    const key = stringField(task, "task_key") ?? taskRunId ?? "?";
    if (!taskRunId) continue;
    try {
      const response = await call(ctx, {
        method: "GET",
        path: `/api/2.1/jobs/runs/get-output?run_id=${encodeURIComponent(taskRunId)}`,
        retry: POLL_RETRY,
      });
      if (!isOk(response)) continue;
      const error = stringField(response.json, "error");
      const trace = stringField(response.json, "error_trace");
      if (error) errors.push(`task ${key}: ${error}`);
      ctx.log.write("system", `task ${key} failed: ${error ?? "no error message"}`);
      if (trace) for (const line of trace.split("\n").slice(0, TRACE_LINES)) ctx.log.write("stderr", line);
    } catch (error) {
      if (error instanceof Error && error.name === "AbortError") throw error;
    }
  }
  return errors;
}

async function cancelRun(ctx: Ctx, runId: string): Promise<void> {
  const response = await call(ctx, { method: "POST", path: "/api/2.1/jobs/runs/cancel", body: { run_id: Number(runId) } });
  if (!isOk(response)) throw failure(response, `cancelling run ${runId}`);
}

async function call(
  ctx: Ctx,
  request: { method: "GET" | "POST"; path: string; body?: unknown; retry?: { attempts: number } },
): Promise<TargetResponse> {
  const host = ctx.config.host.replace(/\/$/, "");
  const token = await bearer(ctx, host);
  return requestTarget({
    method: request.method,
    url: `${host}${request.path}`,
    headers: { Authorization: `Bearer ${token}` },
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(request.retry ? { retry: request.retry } : {}),
    signal: ctx.signal,
    onRetry: (message) => ctx.log.write("system", message),
  });
}

function bearer(ctx: Ctx, host: string): Promise<string> {
  const { config } = ctx;
  if (config.token) return Promise.resolve(config.token);
  // OAuth M2M: https://docs.databricks.com/en/dev-tools/auth/oauth-m2m.html
  return clientCredentialsToken({
    tokenUrl: `${host}/oidc/v1/token`,
    clientId: config.clientId ?? "",
    clientSecret: config.clientSecret ?? "",
    scope: "all-apis",
    style: "basic",
    signal: ctx.signal,
    onRetry: (message) => ctx.log.write("system", message),
  });
}

/** Databricks errors are `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "…"}`. */
function failure(response: TargetResponse, what: string): TerminalError {
  if (isOk(response)) return new TerminalError(`${what}: unexpected answer ${snippet(response.text)}`);
  const code = stringField(response.json, "error_code");
  const message = stringField(response.json, "message") ?? snippet(response.text);
  return terminalFor(response, what, `${code ? `${code}: ` : ""}${message}`);
}
