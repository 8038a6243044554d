import { type Static, Type } from "typebox";
import { formatDuration } from "../../../shared/duration.ts";
import { HttpUrlSchema } from "./executor.schema.ts";
import { type ExecutionContext, type Executor, type StepOutcome, TerminalError } from "./executor.types.ts";
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

// GitLab REST API v4: https://docs.gitlab.com/api/pipelines/
const TIMES = pollingTimes({ timeout: "2h", poll: "10s", onTimeout: "Cancel the pipeline" });
const ACTIVE = new Set(["created", "waiting_for_resource", "preparing", "pending", "running", "scheduled", "manual"]);

export const GitLabConfigSchema = Type.Object(
  {
    project: Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 1 })], {
      description: "Project id or path (group/project)",
    }),
    ref: Type.Optional(Type.String({ minLength: 1, description: "Branch or tag; default: the release's branch" })),
    variables: Type.Optional(
      Type.Record(Type.String({ minLength: 1, pattern: "^[A-Za-z0-9_]+$" }), Type.String(), {
        description: "Pipeline variables; {{version}}, {{commit}}, {{environment}} are filled in",
      }),
    ),
    token: Type.String({ minLength: 1, description: "Access token with api scope, e.g. ${secret:GITLAB_TOKEN}" }),
    apiUrl: Type.Optional(
      HttpUrlSchema({ default: "https://gitlab.com/api/v4", description: "API root of self-managed GitLab" }),
    ),
    ...TIMES.schema,
  },
  { additionalProperties: false },
);
export type GitLabConfig = Static<typeof GitLabConfigSchema>;
type Ctx = ExecutionContext<GitLabConfig>;

export const gitlabExecutor: Executor<GitLabConfig> = {
  type: "gitlab",
  description: "Creates a GitLab CI pipeline (ref + variables) and polls it until success, failed or canceled.",
  configSchema: GitLabConfigSchema,
  // Creating a pipeline has no idempotency key: a second start would run a second pipeline.
  safeToRetry: false,

  async start(ctx) {
    throwIfAborted(ctx.signal);
    const ref = ctx.config.ref ? fillRelease(ctx.config.ref, ctx) : ctx.release.branch;
    const variables = Object.entries(fillReleaseAll(ctx.config.variables, ctx)).map(([key, value]) => ({
      key,
      value,
      variable_type: "env_var",
    }));
    ctx.log.write("system", `creating a GitLab pipeline for ${ctx.config.project} on ${ref}`);
    const response = await call(ctx, { method: "POST", path: "pipeline", body: { ref, variables } });
    const id = stringField(response.json, "id");
    if (!isOk(response) || !id) throw failure(response, `creating a pipeline on ${ref}`);
    const link = stringField(response.json, "web_url");
    ctx.log.write("system", `GitLab pipeline ${id}${link ? `: ${link}` : ""}`);
    return {
      status: "running",
      externalId: id,
      ...(link ? { externalUrl: link } : {}),
      pollAfterMs: TIMES.pollMs(ctx.config),
      message: "pipeline created",
    };
  },

  poll(ctx) {
    const minPollMs = TIMES.pollMs(ctx.config);
    return keepPolling(ctx, { minPollMs, poll: () => pollPipeline(ctx, minPollMs) });
  },

  async cancel(ctx) {
    if (ctx.externalId) await cancelPipeline(ctx, ctx.externalId);
  },
};

async function pollPipeline(ctx: Ctx, minPollMs: number): Promise<StepOutcome> {
  const id = ctx.externalId;
  if (!id) throw new TerminalError("no GitLab pipeline id to poll (the step was not started)");
  const response = await call(ctx, { method: "GET", path: `pipelines/${encodeURIComponent(id)}`, retry: POLL_RETRY });
  if (!isOk(response)) throw failure(response, `reading pipeline ${id}`);
  const status = stringField(response.json, "status") ?? "";
  const link = stringField(response.json, "web_url") ?? "";
  const startedAt = Date.parse(stringField(response.json, "started_at") ?? stringField(response.json, "created_at") ?? "");
  const elapsed = Number.isNaN(startedAt) ? 0 : Date.now() - startedAt;
  const label = `GitLab pipeline ${id}`;
  if (ACTIVE.has(status)) {
    const timeoutMs = TIMES.timeoutMs(ctx.config);
    if (timedOut(startedAt, timeoutMs)) {
      const note = await tryCancel(() => cancelPipeline(ctx, id), label);
      ctx.log.write("system", note);
      throw timeoutError(label, timeoutMs, note);
    }
    progress(ctx, `${label}: ${status}${status === "manual" ? " (waiting for someone to start a manual job)" : ""}`);
    return { status: "running", pollAfterMs: pollDelay(elapsed, minPollMs), message: status };
  }
  ctx.log.write("system", `${label} ${status} after ${formatDuration(elapsed)}`);
  switch (status) {
    case "success":
      return { status: "succeeded", message: `${label} succeeded` };
    case "canceled":
      return { status: "cancelled", message: `${label} was canceled in GitLab (${link})` };
    case "failed":
    case "skipped": {
      const jobs = await failedJobs(ctx, id);
      return { status: "failed", message: `${label} ${status}${jobs ? `: ${jobs}` : ""} (${link})` };
    }
    default:
      throw new TerminalError(`${label} has a status this version does not know: ${JSON.stringify(status)}`);
  }
}

async function failedJobs(ctx: Ctx, id: string): Promise<string> {
  try {
    const response = await call(ctx, {
      method: "GET",
      path: `pipelines/${encodeURIComponent(id)}/jobs?scope[]=failed`,
      retry: POLL_RETRY,
    });
    if (!isOk(response) || !Array.isArray(response.json)) return "";
    const lines = response.json.map(
      (job: unknown) =>
        `job "${stringField(job, "name")}" (stage ${stringField(job, "stage")}) failed: ${stringField(job, "failure_reason") ?? "?"}`,
    );
    for (const line of lines) ctx.log.write("system", line);
    return lines.join("; ");
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") throw error;
    return "";
  }
}

async function cancelPipeline(ctx: Ctx, id: string): Promise<void> {
  const response = await call(ctx, { method: "POST", path: `pipelines/${encodeURIComponent(id)}/cancel` });
  if (!isOk(response)) throw failure(response, `canceling pipeline ${id}`);
}

function call(
  ctx: Ctx,
  request: { method: "GET" | "POST"; path: string; body?: unknown; retry?: { attempts: number } },
): Promise<TargetResponse> {
  const api = (ctx.config.apiUrl ?? "https://gitlab.com/api/v4").replace(/\/$/, "");
  return requestTarget({
    method: request.method,
    url: `${api}/projects/${encodeURIComponent(String(ctx.config.project))}/${request.path}`,
    headers: { "PRIVATE-TOKEN": ctx.config.token },
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(request.retry ? { retry: request.retry } : {}),
    signal: ctx.signal,
    onRetry: (message) => ctx.log.write("system", message),
  });
}

/** GitLab errors are `{"message": …}` (a string or a field → errors map) or `{"error": …}`. */
function failure(response: TargetResponse, what: string): TerminalError {
  if (isOk(response)) return new TerminalError(`${what}: unexpected answer ${snippet(response.text)}`);
  const message = field(response.json, "message");
  const text =
    typeof message === "string"
      ? message
      : message !== undefined
        ? JSON.stringify(message)
        : (stringField(response.json, "error") ?? snippet(response.text));
  return terminalFor(response, what, text);
}
