import { type Static, Type } from "typebox";
import { formatDuration } from "../../../shared/duration.ts";
import { clientCredentialsToken } from "./azure-ad.token.ts";
import { HttpUrlSchema } from "./executor.schema.ts";
import type { ExecutionContext, Executor, StepOutcome } from "./executor.types.ts";
import { TerminalError } from "./executor.types.ts";
import {
  fillReleaseValues,
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

// Azure Data Factory REST API, version 2018-06-01:
// https://learn.microsoft.com/en-us/rest/api/datafactory/pipelines/create-run
const API_VERSION = "2018-06-01";
const TIMES = pollingTimes({ timeout: "6h", poll: "15s", onTimeout: "Cancel the run" });

const UrlSchema = (description: string, fallback: string) => HttpUrlSchema({ default: fallback, description });

const ParameterValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

export const AzureDataFactoryConfigSchema = Type.Refine(
  Type.Object(
    {
      subscriptionId: Type.String({ minLength: 1, description: "Azure subscription id (a UUID)" }),
      resourceGroup: Type.String({ minLength: 1, maxLength: 90, description: "Resource group of the data factory" }),
      factory: Type.String({
        minLength: 3,
        maxLength: 63,
        pattern: "^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$",
        description: "Data factory name",
      }),
      pipeline: Type.String({ minLength: 1, maxLength: 260, description: "Pipeline to run" }),
      parameters: Type.Optional(
        Type.Record(Type.String({ minLength: 1 }), ParameterValue, { description: "Pipeline parameters sent with every run" }),
      ),
      releaseParameters: Type.Optional(
        Type.Boolean({
          default: true,
          description: "Also send releaseVersion, commitSha and environment (the pipeline must declare them)",
        }),
      ),
      tenantId: Type.Optional(Type.String({ minLength: 1, description: "Azure AD tenant of the service principal" })),
      clientId: Type.Optional(Type.String({ minLength: 1, description: "Service principal (app) id" })),
      clientSecret: Type.Optional(
        Type.String({ minLength: 1, description: "Service principal secret, e.g. ${secret:ADF_SECRET}" }),
      ),
      token: Type.Optional(Type.String({ minLength: 1, description: "A bearer token to use instead of client credentials" })),
      managementUrl: Type.Optional(UrlSchema("Azure Resource Manager endpoint", "https://management.azure.com")),
      authorityUrl: Type.Optional(UrlSchema("Azure AD authority", "https://login.microsoftonline.com")),
      scope: Type.Optional(
        Type.String({ minLength: 1, default: "https://management.azure.com/.default", description: "Token scope" }),
      ),
      portalUrl: Type.Optional(UrlSchema("Where run links point (ADF Studio)", "https://adf.azure.com")),
      ...TIMES.schema,
    },
    { additionalProperties: false },
  ),
  (config) =>
    config.token !== undefined ||
    (config.tenantId !== undefined && config.clientId !== undefined && config.clientSecret !== undefined),
  () => "needs either `token`, or `tenantId`, `clientId` and `clientSecret` (a service principal)",
);
export type AzureDataFactoryConfig = Static<typeof AzureDataFactoryConfigSchema>;
type Ctx = ExecutionContext<AzureDataFactoryConfig>;

/** Pipeline run statuses, as the API spells them. */
type RunStatus = "Queued" | "InProgress" | "Succeeded" | "Failed" | "Canceling" | "Cancelled";

export const azureDataFactoryExecutor: Executor<AzureDataFactoryConfig> = {
  type: "azure-data-factory",
  description:
    "Runs an Azure Data Factory pipeline (createRun) with the release as parameters and polls it until Succeeded, Failed or Cancelled.",
  configSchema: AzureDataFactoryConfigSchema,
  // createRun has no idempotency key: starting again after losing the run id could run the pipeline twice.
  safeToRetry: false,

  async start(ctx) {
    throwIfAborted(ctx.signal);
    const { config } = ctx;
    const parameters = {
      ...(config.releaseParameters === false
        ? {}
        : { releaseVersion: ctx.release.version, commitSha: ctx.release.commitSha, environment: ctx.environment.name }),
      ...fillReleaseValues(config.parameters, ctx),
    };
    const url = factoryUrl(config, `pipelines/${encodeURIComponent(config.pipeline)}/createRun`);
    ctx.log.write("system", `starting ADF pipeline "${config.pipeline}" in factory ${config.factory}`);
    const response = await call(ctx, { method: "POST", url, body: parameters });
    const runId = stringField(response.json, "runId");
    if (!isOk(response) || !runId) throw failure(response, `createRun of pipeline "${config.pipeline}"`);
    const link = runUrl(config, runId);
    ctx.log.write("system", `ADF run ${runId} created: ${link}`);
    return {
      status: "running",
      externalId: runId,
      externalUrl: link,
      pollAfterMs: TIMES.pollMs(config),
      message: "pipeline run queued",
    };
  },

  poll(ctx) {
    const minPollMs = TIMES.pollMs(ctx.config);
    return keepPolling(ctx, { minPollMs, poll: () => pollRun(ctx, minPollMs) });
  },

  async cancel(ctx) {
    if (!ctx.externalId) return;
    await cancelRun(ctx, ctx.externalId);
  },
};

async function pollRun(ctx: Ctx, minPollMs: number): Promise<StepOutcome> {
  const runId = requireRunId(ctx);
  const response = await call(ctx, {
    method: "GET",
    url: factoryUrl(ctx.config, `pipelineruns/${encodeURIComponent(runId)}`),
    retry: POLL_RETRY,
  });
  if (!isOk(response)) throw failure(response, `reading pipeline run ${runId}`);
  const status = stringField(response.json, "status") as RunStatus | undefined;
  const startedAt = Date.parse(stringField(response.json, "runStart") ?? "");
  const elapsed = Number.isNaN(startedAt) ? 0 : Date.now() - startedAt;
  const message = stringField(response.json, "message") ?? "";
  switch (status) {
    case "Succeeded":
      ctx.log.write("system", `ADF run ${runId} Succeeded after ${formatDuration(elapsed)}`);
      return { status: "succeeded", message: `ADF run ${runId} succeeded` };
    case "Failed": {
      ctx.log.write("system", `ADF run ${runId} Failed${message ? `: ${message}` : ""}`);
      const activities = await failedActivities(ctx, runId);
      for (const line of activities) ctx.log.write("system", line);
      const first = activities[0] ?? message;
      return { status: "failed", message: `ADF run ${runId} failed${first ? `: ${first}` : ""} (${runUrl(ctx.config, runId)})` };
    }
    case "Cancelled":
      ctx.log.write("system", `ADF run ${runId} was Cancelled at the target${message ? `: ${message}` : ""}`);
      return { status: "cancelled", message: `ADF run ${runId} was cancelled in Data Factory` };
    case "Queued":
    case "InProgress":
    case "Canceling": {
      const timeoutMs = TIMES.timeoutMs(ctx.config);
      if (status !== "Canceling" && timedOut(startedAt, timeoutMs)) {
        const note = await tryCancel(() => cancelRun(ctx, runId), `ADF run ${runId}`);
        ctx.log.write("system", note);
        throw timeoutError(`ADF run ${runId}`, timeoutMs, note);
      }
      progress(ctx, `ADF run ${runId}: ${status}`);
      return { status: "running", pollAfterMs: pollDelay(elapsed, minPollMs), message: status };
    }
    default:
      throw new TerminalError(`ADF run ${runId} has a status this version does not know: ${JSON.stringify(status)}`);
  }
}

/** The failed activities of a run with their error codes and messages, for the log (queryActivityruns). */
async function failedActivities(ctx: Ctx, runId: string): Promise<string[]> {
  const now = Date.now();
  try {
    const response = await call(ctx, {
      method: "POST",
      url: factoryUrl(ctx.config, `pipelineruns/${encodeURIComponent(runId)}/queryActivityruns`),
      body: {
        lastUpdatedAfter: new Date(now - 7 * 86_400_000).toISOString(),
        lastUpdatedBefore: new Date(now + 60_000).toISOString(),
        filters: [{ operand: "Status", operator: "Equals", values: ["Failed"] }],
      },
      retry: { attempts: 2 },
    });
    const value = field(response.json, "value");
    if (!isOk(response) || !Array.isArray(value)) return [];
    return value.map((activity: unknown) => {
      const error = field(activity, "error");
      const code = stringField(error, "errorCode");
      const text = stringField(error, "message") ?? "no error message";
      return `activity "${stringField(activity, "activityName") ?? "?"}" (${stringField(activity, "activityType") ?? "?"}) failed${code ? ` [${code}]` : ""}: ${text}`;
    });
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") throw error;
    // The run's own message already explains the failure; the activity details are a bonus.
    return [];
  }
}

async function cancelRun(ctx: Ctx, runId: string): Promise<void> {
  const url = factoryUrl(ctx.config, `pipelineruns/${encodeURIComponent(runId)}/cancel`);
  url.searchParams.set("isRecursive", "true");
  const response = await call(ctx, { method: "POST", url });
  if (!isOk(response)) throw failure(response, `cancelling pipeline run ${runId}`);
}

function requireRunId(ctx: Ctx): string {
  if (!ctx.externalId) throw new TerminalError("no ADF run id to poll (the step was not started)");
  return ctx.externalId;
}

function factoryUrl(config: AzureDataFactoryConfig, path: string): URL {
  const base = (config.managementUrl ?? "https://management.azure.com").replace(/\/$/, "");
  const url = new URL(
    `${base}/subscriptions/${encodeURIComponent(config.subscriptionId)}/resourceGroups/${encodeURIComponent(config.resourceGroup)}` +
      `/providers/Microsoft.DataFactory/factories/${encodeURIComponent(config.factory)}/${path}`,
  );
  url.searchParams.set("api-version", API_VERSION);
  return url;
}

export function runUrl(config: AzureDataFactoryConfig, runId: string): string {
  const portal = (config.portalUrl ?? "https://adf.azure.com").replace(/\/$/, "");
  const factory = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.DataFactory/factories/${config.factory}`;
  return `${portal}/en/monitoring/pipelineruns/${encodeURIComponent(runId)}?factory=${encodeURIComponent(factory)}`;
}

async function call(
  ctx: Ctx,
  request: { method: "GET" | "POST"; url: URL; body?: unknown; retry?: { attempts: number } },
): Promise<TargetResponse> {
  const token = await bearer(ctx);
  return requestTarget({
    ...request,
    headers: { Authorization: `Bearer ${token}` },
    // ADF wants a body on every POST, `{}` when there is nothing to say.
    ...(request.method === "POST" ? { body: request.body ?? {} } : {}),
    signal: ctx.signal,
    onRetry: (message) => ctx.log.write("system", message),
  });
}

function bearer(ctx: Ctx): Promise<string> {
  const { config } = ctx;
  if (config.token) return Promise.resolve(config.token);
  const authority = (config.authorityUrl ?? "https://login.microsoftonline.com").replace(/\/$/, "");
  return clientCredentialsToken({
    tokenUrl: `${authority}/${encodeURIComponent(config.tenantId ?? "")}/oauth2/v2.0/token`,
    clientId: config.clientId ?? "",
    clientSecret: config.clientSecret ?? "",
    scope: config.scope ?? "https://management.azure.com/.default",
    style: "body",
    signal: ctx.signal,
    onRetry: (message) => ctx.log.write("system", message),
  });
}

/** An ADF error body is `{"error": {"code", "message"}}` (CloudError). */
function failure(response: TargetResponse, what: string): TerminalError {
  const error = field(response.json, "error");
  const code = stringField(error, "code");
  const message = stringField(error, "message") ?? snippet(response.text);
  if (isOk(response)) return new TerminalError(`${what}: unexpected answer ${snippet(response.text)}`);
  return terminalFor(response, what, `${code ? `${code}: ` : ""}${message}`);
}
