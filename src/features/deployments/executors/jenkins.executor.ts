import { type Static, Type } from "typebox";
import { formatDuration } from "../../../shared/duration.ts";
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

// Jenkins remote access API: https://www.jenkins.io/doc/book/using/remote-access-api/
const TIMES = pollingTimes({ timeout: "2h", poll: "10s", onTimeout: "Abort the build" });
const CONSOLE_TAIL_LINES = 30;

export const JenkinsConfigSchema = Type.Object(
  {
    url: HttpUrlSchema({ description: "Jenkins root URL, e.g. https://ci.example.com/jenkins" }),
    job: Type.String({ minLength: 1, description: "Job name; folders with /, e.g. data/deploy-transcripts" }),
    parameters: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), {
        description: "Build parameters; {{version}}, {{commit}}, {{environment}} are filled in",
      }),
    ),
    user: Type.String({ minLength: 1, description: "Jenkins user the API token belongs to" }),
    token: Type.String({ minLength: 1, description: "The user's API token, e.g. ${secret:JENKINS_TOKEN}" }),
    ...TIMES.schema,
  },
  { additionalProperties: false },
);
export type JenkinsConfig = Static<typeof JenkinsConfigSchema>;
type Ctx = ExecutionContext<JenkinsConfig>;

export const jenkinsExecutor: Executor<JenkinsConfig> = {
  type: "jenkins",
  description:
    "Triggers a Jenkins job (buildWithParameters, crumb aware), follows the queue item to its build and polls the result.",
  configSchema: JenkinsConfigSchema,
  safeToRetry: false,

  async start(ctx) {
    throwIfAborted(ctx.signal);
    const parameters = fillReleaseAll(ctx.config.parameters, ctx);
    const hasParameters = Object.keys(parameters).length > 0;
    const crumb = await crumbHeaders(ctx);
    ctx.log.write("system", `triggering Jenkins job ${ctx.config.job}`);
    const trigger = (endpoint: string) =>
      call(ctx, {
        method: "POST",
        url: `${jobUrl(ctx.config)}/${endpoint}`,
        headers: crumb,
        ...(hasParameters ? { body: new URLSearchParams(parameters) } : {}),
      });
    let response = await trigger(hasParameters ? "buildWithParameters" : "build");
    // A parameterized job refuses /build; /buildWithParameters without parameters runs it with its defaults.
    if (!hasParameters && response.status === 400) response = await trigger("buildWithParameters");
    const location = response.headers.get("location") ?? "";
    const queueId = /\/queue\/item\/(\d+)\/?$/.exec(location)?.[1];
    if (!isOk(response) || !queueId) throw failure(response, `triggering job ${ctx.config.job}`);
    ctx.log.write("system", `queued as item ${queueId}`);
    return {
      status: "running",
      externalId: `queue:${queueId}`,
      pollAfterMs: TIMES.pollMs(ctx.config),
      message: "queued",
    };
  },

  poll(ctx) {
    const minPollMs = TIMES.pollMs(ctx.config);
    return keepPolling(ctx, {
      minPollMs,
      poll: () => (ctx.externalId?.startsWith("queue:") ? pollQueue(ctx, minPollMs) : pollBuild(ctx, minPollMs)),
    });
  },

  async cancel(ctx) {
    const id = ctx.externalId;
    if (!id) return;
    const crumb = await crumbHeaders(ctx);
    const url = id.startsWith("queue:")
      ? `${root(ctx.config)}/queue/cancelItem?id=${encodeURIComponent(id.slice("queue:".length))}`
      : `${jobUrl(ctx.config)}/${encodeURIComponent(id.slice("build:".length))}/stop`;
    const response = await call(ctx, { method: "POST", url, headers: crumb });
    // Jenkins answers a stop or cancel with a redirect to the page it happened on.
    if (!isOk(response) && (response.status < 300 || response.status >= 400)) throw failure(response, `cancelling ${id}`);
  },
};

async function pollQueue(ctx: Ctx, minPollMs: number): Promise<StepOutcome> {
  const queueId = ctx.externalId?.slice("queue:".length) ?? "";
  const response = await call(ctx, {
    method: "GET",
    url: `${root(ctx.config)}/queue/item/${encodeURIComponent(queueId)}/api/json`,
    retry: POLL_RETRY,
  });
  if (!isOk(response)) throw failure(response, `reading queue item ${queueId}`);
  if (field(response.json, "cancelled") === true)
    return { status: "cancelled", message: `queue item ${queueId} was cancelled in Jenkins` };
  const executable = field(response.json, "executable");
  const number = stringField(executable, "number");
  if (!number) {
    progress(
      ctx,
      `queue item ${queueId}: waiting${stringField(response.json, "why") ? ` (${stringField(response.json, "why")})` : ""}`,
    );
    return { status: "running", pollAfterMs: minPollMs, message: "queued" };
  }
  const link = stringField(executable, "url") ?? `${jobUrl(ctx.config)}/${number}/`;
  ctx.log.write("system", `build #${number} started: ${link}`);
  return { status: "running", externalId: `build:${number}`, externalUrl: link, pollAfterMs: minPollMs, message: "building" };
}

async function pollBuild(ctx: Ctx, minPollMs: number): Promise<StepOutcome> {
  const number = ctx.externalId?.startsWith("build:") ? ctx.externalId.slice("build:".length) : undefined;
  if (!number) throw new TerminalError("no Jenkins build to poll (the step was not started)");
  const buildUrl = `${jobUrl(ctx.config)}/${encodeURIComponent(number)}`;
  const response = await call(ctx, { method: "GET", url: `${buildUrl}/api/json`, retry: POLL_RETRY });
  if (!isOk(response)) throw failure(response, `reading build #${number}`);
  const building = field(response.json, "building") === true;
  const result = stringField(response.json, "result");
  const startedAt = Number(stringField(response.json, "timestamp") ?? Number.NaN);
  const elapsed = Number.isFinite(startedAt) ? Date.now() - startedAt : 0;
  const label = `build #${number} of ${ctx.config.job}`;
  if (building || !result) {
    const timeoutMs = TIMES.timeoutMs(ctx.config);
    if (timedOut(startedAt, timeoutMs)) {
      const note = await tryCancel(() => jenkinsExecutor.cancel?.(ctx) ?? Promise.resolve(), label);
      ctx.log.write("system", note);
      throw timeoutError(label, timeoutMs, note);
    }
    progress(ctx, `${label}: building`);
    return { status: "running", pollAfterMs: pollDelay(elapsed, minPollMs), message: "building" };
  }
  ctx.log.write("system", `${label} ${result} after ${formatDuration(elapsed)}`);
  switch (result) {
    case "SUCCESS":
      return { status: "succeeded", message: `${label} succeeded` };
    case "ABORTED":
      return { status: "cancelled", message: `${label} was aborted in Jenkins` };
    default: {
      await consoleTail(ctx, buildUrl);
      const why = result === "UNSTABLE" ? "unstable (usually failed tests)" : result.toLowerCase();
      return { status: "failed", message: `${label} ${why} (${buildUrl}/console)` };
    }
  }
}

/** The end of the build's console output, for the deployment log. */
async function consoleTail(ctx: Ctx, buildUrl: string): Promise<void> {
  try {
    const response = await call(ctx, { method: "GET", url: `${buildUrl}/consoleText`, retry: POLL_RETRY });
    if (!isOk(response)) return;
    const lines = response.text.replace(/\n$/, "").split("\n");
    for (const line of lines.slice(-CONSOLE_TAIL_LINES)) ctx.log.write("stdout", line);
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") throw error;
  }
}

/** Jenkins with CSRF protection wants a crumb on POSTs; a 404 means the crumb issuer is off. */
async function crumbHeaders(ctx: Ctx): Promise<Record<string, string>> {
  const response = await call(ctx, { method: "GET", url: `${root(ctx.config)}/crumbIssuer/api/json` });
  if (response.status === 404) return {};
  const crumb = stringField(response.json, "crumb");
  const fieldName = stringField(response.json, "crumbRequestField");
  if (!isOk(response) || !crumb || !fieldName) throw failure(response, "getting a CSRF crumb");
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  return { [fieldName]: crumb, ...(cookie ? { Cookie: cookie } : {}) };
}

function root(config: JenkinsConfig): string {
  return config.url.replace(/\/$/, "");
}

function jobUrl(config: JenkinsConfig): string {
  return `${root(config)}/${config.job
    .split("/")
    .filter((part) => part !== "")
    .map((part) => `job/${encodeURIComponent(part)}`)
    .join("/")}`;
}

function call(
  ctx: Ctx,
  request: {
    method: "GET" | "POST";
    url: string;
    headers?: Record<string, string>;
    body?: URLSearchParams;
    retry?: { attempts: number };
  },
): Promise<TargetResponse> {
  const basic = Buffer.from(`${ctx.config.user}:${ctx.config.token}`).toString("base64");
  return requestTarget({
    method: request.method,
    url: request.url,
    headers: { Authorization: `Basic ${basic}`, ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(request.retry ? { retry: request.retry } : {}),
    signal: ctx.signal,
    onRetry: (message) => ctx.log.write("system", message),
  });
}

function failure(response: TargetResponse, what: string): TerminalError {
  if (isOk(response))
    return new TerminalError(`${what}: unexpected answer (no queue item in Location) ${snippet(response.text)}`);
  return terminalFor(response, what, snippet(response.text.replace(/<[^>]+>/g, " ")));
}
