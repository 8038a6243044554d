import { setTimeout as delay } from "node:timers/promises";
import { type Static, Type } from "typebox";
import { formatDuration } from "../../../shared/duration.ts";
import { HttpUrlSchema } from "./executor.schema.ts";
import { cancelledError, type ExecutionContext, type Executor, type StepOutcome, TerminalError } from "./executor.types.ts";
import {
  fillRelease,
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

// GitHub REST API: https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event
const TIMES = pollingTimes({ timeout: "2h", poll: "10s", onTimeout: "Cancel the run" });
const API_VERSION = "2022-11-28";
const FIND_RUN_MS = 60_000;

export const GitHubActionsConfigSchema = Type.Object(
  {
    owner: Type.String({ minLength: 1, maxLength: 100, description: "Repository owner (user or organisation)" }),
    repo: Type.String({ minLength: 1, maxLength: 100, description: "Repository name" }),
    workflow: Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 1 })], {
      description: "Workflow file name (deploy.yml) or id",
    }),
    ref: Type.Optional(
      Type.String({ minLength: 1, description: "Branch or tag to run the workflow on; default: the release's branch" }),
    ),
    inputs: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        maxProperties: 25,
        description: "workflow_dispatch inputs; {{version}}, {{commit}}, {{environment}} are filled in",
      }),
    ),
    token: Type.String({ minLength: 1, description: "Token with actions:write, e.g. ${secret:GITHUB_TOKEN}" }),
    apiUrl: Type.Optional(
      HttpUrlSchema({ default: "https://api.github.com", description: "API root (GitHub Enterprise: https://host/api/v3)" }),
    ),
    ...TIMES.schema,
  },
  { additionalProperties: false },
);
export type GitHubActionsConfig = Static<typeof GitHubActionsConfigSchema>;
type Ctx = ExecutionContext<GitHubActionsConfig>;

export const githubActionsExecutor: Executor<GitHubActionsConfig> = {
  type: "github-actions",
  description:
    "Dispatches a GitHub Actions workflow (workflow_dispatch with ref and inputs), finds its run and polls it to a conclusion.",
  configSchema: GitHubActionsConfigSchema,
  // A dispatch has no idempotency key: dispatching again after losing the run id would run the workflow twice.
  safeToRetry: false,

  async start(ctx) {
    throwIfAborted(ctx.signal);
    const { config } = ctx;
    const ref = config.ref ? fillRelease(config.ref, ctx) : ctx.release.branch;
    const inputs = fillReleaseAll(config.inputs, ctx);
    const workflow = encodeURIComponent(String(config.workflow));
    ctx.log.write("system", `dispatching workflow ${config.workflow} of ${config.owner}/${config.repo} on ${ref}`);
    const dispatchedAt = Date.now();
    const response = await call(ctx, {
      method: "POST",
      path: `actions/workflows/${workflow}/dispatches`,
      body: { ref, inputs, return_run_details: true },
    });
    if (!isOk(response)) throw failure(response, `dispatching workflow ${config.workflow}`);
    // Since 2026 the API can answer with the run; older GitHub Enterprise servers answer 204 and we look for it.
    const runId = stringField(response.json, "workflow_run_id") ?? (await findRun(ctx, { workflow, ref, dispatchedAt }));
    const link = stringField(response.json, "html_url") ?? runHtmlUrl(ctx, runId);
    ctx.log.write("system", `workflow run ${runId}: ${link}`);
    return {
      status: "running",
      externalId: runId,
      externalUrl: link,
      pollAfterMs: TIMES.pollMs(config),
      message: "workflow dispatched",
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

/** The newest workflow_dispatch run of this workflow and ref created since the dispatch (a little clock skew allowed). */
async function findRun(ctx: Ctx, options: { workflow: string; ref: string; dispatchedAt: number }): Promise<string> {
  const since = new Date(options.dispatchedAt - 5_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const query = new URLSearchParams({ event: "workflow_dispatch", branch: options.ref, created: `>=${since}`, per_page: "20" });
  const minPollMs = Math.min(2_000, TIMES.pollMs(ctx.config));
  for (const deadline = Date.now() + FIND_RUN_MS; ; ) {
    const response = await call(ctx, { method: "GET", path: `actions/workflows/${options.workflow}/runs?${query}` });
    if (!isOk(response)) throw failure(response, "listing workflow runs");
    const runs = field(response.json, "workflow_runs");
    const newest = (Array.isArray(runs) ? runs : [])
      .filter((run: unknown) => Date.parse(stringField(run, "created_at") ?? "") >= options.dispatchedAt - 5_000)
      .sort((a: unknown, b: unknown) => Number(stringField(b, "id")) - Number(stringField(a, "id")))[0];
    const id = stringField(newest, "id");
    if (id) return id;
    if (Date.now() > deadline)
      throw new TerminalError(`the dispatched workflow run did not appear within ${formatDuration(FIND_RUN_MS)}`);
    try {
      await delay(minPollMs, undefined, { signal: ctx.signal });
    } catch (error) {
      throw cancelledError(error);
    }
  }
}

async function pollRun(ctx: Ctx, minPollMs: number): Promise<StepOutcome> {
  const runId = ctx.externalId;
  if (!runId) throw new TerminalError("no workflow run id to poll (the step was not started)");
  const response = await call(ctx, { method: "GET", path: `actions/runs/${encodeURIComponent(runId)}`, retry: POLL_RETRY });
  if (!isOk(response)) throw failure(response, `reading workflow run ${runId}`);
  const run = response.json;
  const status = stringField(run, "status") ?? "";
  const conclusion = stringField(run, "conclusion");
  const link = stringField(run, "html_url") ?? runHtmlUrl(ctx, runId);
  const startedAt = Date.parse(stringField(run, "run_started_at") ?? stringField(run, "created_at") ?? "");
  const elapsed = Number.isNaN(startedAt) ? 0 : Date.now() - startedAt;
  const label = `workflow run ${runId}`;
  if (status !== "completed") {
    const timeoutMs = TIMES.timeoutMs(ctx.config);
    if (timedOut(startedAt, timeoutMs)) {
      const note = await tryCancel(() => cancelRun(ctx, runId), label);
      ctx.log.write("system", note);
      throw timeoutError(label, timeoutMs, note);
    }
    progress(ctx, `${label}: ${status}`);
    return { status: "running", pollAfterMs: pollDelay(elapsed, minPollMs), message: status };
  }
  ctx.log.write("system", `${label} completed: ${conclusion ?? "no conclusion"} after ${formatDuration(elapsed)}`);
  switch (conclusion) {
    case "success":
    case "neutral":
      return { status: "succeeded", message: `${label} succeeded` };
    case "cancelled":
      return { status: "cancelled", message: `${label} was cancelled on GitHub (${link})` };
    default: {
      const failed = await failedJobs(ctx, runId);
      return {
        status: "failed",
        message: `${label} ended ${conclusion ?? "without a conclusion"}${failed ? `: ${failed}` : ""} (${link})`,
      };
    }
  }
}

/** Names the failed jobs and steps, from the run's jobs list. */
async function failedJobs(ctx: Ctx, runId: string): Promise<string> {
  try {
    const response = await call(ctx, {
      method: "GET",
      path: `actions/runs/${encodeURIComponent(runId)}/jobs`,
      retry: POLL_RETRY,
    });
    const jobs = field(response.json, "jobs");
    if (!isOk(response) || !Array.isArray(jobs)) return "";
    const failed = jobs.filter(
      (job: unknown) => !["success", "skipped", "neutral"].includes(stringField(job, "conclusion") ?? ""),
    );
    const lines = failed.map((job: unknown) => {
      const steps = field(job, "steps");
      const step = (Array.isArray(steps) ? steps : []).find((s: unknown) => stringField(s, "conclusion") === "failure");
      return `job "${stringField(job, "name")}" ${stringField(job, "conclusion") ?? "?"}${step ? ` at step "${stringField(step, "name")}"` : ""}`;
    });
    for (const line of lines) ctx.log.write("system", line);
    return lines.join("; ");
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") throw error;
    return "";
  }
}

async function cancelRun(ctx: Ctx, runId: string): Promise<void> {
  const response = await call(ctx, { method: "POST", path: `actions/runs/${encodeURIComponent(runId)}/cancel` });
  // 409: the run completed meanwhile, there is nothing left to cancel.
  if (!isOk(response) && response.status !== 409) throw failure(response, `cancelling workflow run ${runId}`);
}

function runHtmlUrl(ctx: Ctx, runId: string): string {
  const api = new URL(ctx.config.apiUrl ?? "https://api.github.com");
  const web = api.host === "api.github.com" ? "https://github.com" : api.origin;
  return `${web}/${ctx.config.owner}/${ctx.config.repo}/actions/runs/${runId}`;
}

function call(
  ctx: Ctx,
  request: { method: "GET" | "POST"; path: string; body?: unknown; retry?: { attempts: number } },
): Promise<TargetResponse> {
  const { config } = ctx;
  const api = (config.apiUrl ?? "https://api.github.com").replace(/\/$/, "");
  return requestTarget({
    method: request.method,
    url: `${api}/repos/${encodeURIComponent(config.owner)}/${encodeURIComponent(config.repo)}/${request.path}`,
    headers: {
      Authorization: `Bearer ${config.token}`,
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": API_VERSION,
    },
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(request.retry ? { retry: request.retry } : {}),
    signal: ctx.signal,
    transient: rateLimited,
    onRetry: (message) => ctx.log.write("system", message),
  });
}

/** An exhausted primary rate limit is a 403 with `x-ratelimit-remaining: 0`; wait until `x-ratelimit-reset`. */
function rateLimited(status: number, headers: Headers): { retryAfterMs?: number } | undefined {
  if (status !== 403 || headers.get("x-ratelimit-remaining") !== "0") return undefined;
  const reset = Number(headers.get("x-ratelimit-reset"));
  return Number.isFinite(reset) && reset > 0 ? { retryAfterMs: Math.max(0, reset * 1000 - Date.now()) } : {};
}

/** GitHub errors are `{"message", "documentation_url"}`. */
function failure(response: TargetResponse, what: string): TerminalError {
  if (isOk(response)) return new TerminalError(`${what}: unexpected answer ${snippet(response.text)}`);
  return terminalFor(response, what, stringField(response.json, "message") ?? snippet(response.text));
}
