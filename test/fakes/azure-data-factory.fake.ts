import { randomUUID } from "node:crypto";
import { bearerOf, type FakeReply, type FakeRequest, type FakeServer, isPlainObject, startFakeServer } from "./http.fake.ts";

/**
 * Azure AD (v2 token endpoint) and the Azure Data Factory REST API 2018-06-01, as documented:
 * - POST /{tenant}/oauth2/v2.0/token  (client_credentials, form body) → {token_type, expires_in, access_token}
 * - POST …/factories/{f}/pipelines/{p}/createRun?api-version=2018-06-01, body = parameters → {runId}
 * - GET  …/factories/{f}/pipelineruns/{runId} → PipelineRun {runId, pipelineName, status, message, runStart, runEnd, …}
 * - POST …/pipelineruns/{runId}/cancel?isRecursive=true → 200
 * - POST …/pipelineruns/{runId}/queryActivityruns {lastUpdatedAfter, lastUpdatedBefore, filters?} → {value: ActivityRun[]}
 * Errors are CloudError bodies `{"error": {"code", "message"}}`. Wrong token, api-version or body → 4xx, as Azure does.
 */

export const ADF_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const ADF_CLIENT_ID = "0c4ea4e4-1d2b-4b7e-9d4a-2c1c0e3a1f10";
export const ADF_CLIENT_SECRET = "adf-client-secret-value";
export const ADF_SUBSCRIPTION = "d2f5a1c4-1111-4e1e-8f00-0123456789ab";
export const ADF_RESOURCE_GROUP = "rg-data";
export const ADF_FACTORY = "quant-stg-adf";

export interface FakePipeline {
  /** Statuses a run goes through, one per GET of the run; the last one sticks. */
  statuses: Array<"Queued" | "InProgress" | "Succeeded" | "Failed" | "Cancelled">;
  /** Failed activities reported by queryActivityruns when the run fails. */
  failedActivities?: Array<{ name: string; type: string; code: string; message: string }>;
  message?: string;
}

export interface FakeRun {
  runId: string;
  pipelineName: string;
  parameters: Record<string, unknown>;
  polls: number;
  cancelled: "no" | "canceling" | "cancelled";
  runStart: string;
  pipeline: FakePipeline;
}

export interface AdfFake {
  server: FakeServer;
  url: string;
  runs: FakeRun[];
  pipelines: Map<string, FakePipeline>;
  tokensIssued: number;
  close(): Promise<void>;
}

const factoryPath = `/subscriptions/${ADF_SUBSCRIPTION}/resourceGroups/${ADF_RESOURCE_GROUP}/providers/Microsoft.DataFactory/factories/${ADF_FACTORY}`;

export async function startAdfFake(pipelines: Record<string, FakePipeline>): Promise<AdfFake> {
  const tokens = new Set<string>();
  const state = { runs: [] as FakeRun[], pipelines: new Map(Object.entries(pipelines)), tokensIssued: 0 };

  const cloudError = (status: number, code: string, message: string): FakeReply => ({
    status,
    body: { error: { code, message, target: null, details: null } },
  });

  function token(request: FakeRequest): FakeReply {
    const form = request.form;
    if (request.method !== "POST" || !form)
      return {
        status: 400,
        body: {
          error: "invalid_request",
          error_description: "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
        },
      };
    if (form.get("grant_type") !== "client_credentials")
      return {
        status: 400,
        body: { error: "unsupported_grant_type", error_description: "AADSTS70003: grant_type not supported" },
      };
    if (form.get("client_id") !== ADF_CLIENT_ID)
      return {
        status: 400,
        body: {
          error: "unauthorized_client",
          error_description: `AADSTS700016: Application with identifier '${form.get("client_id")}' was not found in the directory.`,
        },
      };
    if (form.get("client_secret") !== ADF_CLIENT_SECRET)
      return {
        status: 401,
        body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." },
      };
    if (form.get("scope") !== "https://management.azure.com/.default")
      return {
        status: 400,
        body: { error: "invalid_scope", error_description: "AADSTS1002012: The provided value for scope is not valid." },
      };
    const accessToken = `eyJ0eXAi.${randomUUID()}`;
    tokens.add(accessToken);
    state.tokensIssued++;
    return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken } };
  }

  function statusOf(run: FakeRun): string {
    if (run.cancelled === "canceling") {
      run.cancelled = "cancelled";
      return "Canceling";
    }
    if (run.cancelled === "cancelled") return "Cancelled";
    const { statuses } = run.pipeline;
    const status = statuses[Math.min(run.polls, statuses.length - 1)] ?? "InProgress";
    run.polls++;
    return status;
  }

  function arm(request: FakeRequest): FakeReply {
    if (!request.path.startsWith(`${factoryPath}/`))
      return cloudError(404, "ResourceNotFound", `The Resource '${request.path}' was not found.`);
    const bearer = bearerOf(request);
    if (!bearer) return cloudError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
    if (!tokens.has(bearer)) return cloudError(401, "InvalidAuthenticationToken", "The access token is invalid.");
    const apiVersion = request.query.get("api-version");
    if (!apiVersion)
      return cloudError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    if (apiVersion !== "2018-06-01")
      return cloudError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid.`);
    const rest = request.path
      .slice(factoryPath.length + 1)
      .split("/")
      .map(decodeURIComponent);

    if (rest[0] === "pipelines" && rest[2] === "createRun" && rest.length === 3 && request.method === "POST") {
      const pipeline = state.pipelines.get(rest[1] ?? "");
      if (!pipeline) return cloudError(404, "PipelineNotFound", `Pipeline '${rest[1]}' not found in factory '${ADF_FACTORY}'.`);
      if (!isPlainObject(request.json))
        return cloudError(400, "BadRequest", "The request body must be a JSON object of pipeline parameters.");
      for (const [name, value] of Object.entries(request.json)) {
        if (!["string", "number", "boolean"].includes(typeof value) && !isPlainObject(value) && !Array.isArray(value))
          return cloudError(400, "BadRequest", `Parameter '${name}' has an invalid value.`);
      }
      const run: FakeRun = {
        runId: randomUUID(),
        pipelineName: rest[1] ?? "",
        parameters: request.json,
        polls: 0,
        cancelled: "no",
        runStart: new Date().toISOString(),
        pipeline,
      };
      state.runs.push(run);
      return { status: 200, body: { runId: run.runId } };
    }
    if (rest[0] !== "pipelineruns" || !rest[1])
      return cloudError(404, "NotFound", `No route for ${request.method} ${request.path}`);
    const run = state.runs.find((candidate) => candidate.runId === rest[1]);
    if (!run) return cloudError(404, "PipelineRunNotFound", `Pipeline run '${rest[1]}' not found.`);

    if (rest.length === 2 && request.method === "GET") {
      const status = statusOf(run);
      const ended = ["Succeeded", "Failed", "Cancelled"].includes(status);
      return {
        status: 200,
        body: {
          runId: run.runId,
          runGroupId: run.runId,
          isLatest: true,
          pipelineName: run.pipelineName,
          parameters: run.parameters,
          invokedBy: { name: "Manual", id: randomUUID(), invokedByType: "Manual" },
          lastUpdated: new Date().toISOString(),
          runStart: run.runStart,
          runEnd: ended ? new Date().toISOString() : null,
          durationInMs: ended ? Date.now() - Date.parse(run.runStart) : null,
          status,
          message: status === "Failed" ? (run.pipeline.message ?? "Operation on target failed") : "",
        },
      };
    }
    if (rest[2] === "cancel" && request.method === "POST") {
      if (run.cancelled === "no") run.cancelled = "canceling";
      return { status: 200 };
    }
    if (rest[2] === "queryActivityruns" && request.method === "POST") {
      const body = request.json;
      if (!isPlainObject(body) || typeof body.lastUpdatedAfter !== "string" || typeof body.lastUpdatedBefore !== "string")
        return cloudError(400, "BadRequest", "lastUpdatedAfter and lastUpdatedBefore are required.");
      return {
        status: 200,
        body: {
          value: (run.pipeline.failedActivities ?? []).map((activity) => ({
            activityName: activity.name,
            activityType: activity.type,
            activityRunId: randomUUID(),
            pipelineName: run.pipelineName,
            pipelineRunId: run.runId,
            status: "Failed",
            activityRunStart: run.runStart,
            error: { errorCode: activity.code, message: activity.message, failureType: "UserError", target: activity.name },
          })),
        },
      };
    }
    return cloudError(405, "MethodNotAllowed", `${request.method} ${request.path} is not supported`);
  }

  const server = await startFakeServer((request) => {
    if (!request.path.endsWith("/oauth2/v2.0/token")) return arm(request);
    if (request.path !== `/${ADF_TENANT}/oauth2/v2.0/token`)
      return { status: 400, body: { error: "invalid_request", error_description: "AADSTS90002: Tenant not found." } };
    return token(request);
  });
  return {
    server,
    url: server.url,
    runs: state.runs,
    pipelines: state.pipelines,
    get tokensIssued() {
      return state.tokensIssued;
    },
    close: () => server.close(),
  };
}

/** A config for the executor pointed at the fake. */
export function adfConfig(fake: AdfFake, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subscriptionId: ADF_SUBSCRIPTION,
    resourceGroup: ADF_RESOURCE_GROUP,
    factory: ADF_FACTORY,
    pipeline: "transcripts",
    tenantId: ADF_TENANT,
    clientId: ADF_CLIENT_ID,
    clientSecret: ADF_CLIENT_SECRET,
    managementUrl: fake.url,
    authorityUrl: fake.url,
    pollInterval: "10ms",
    ...overrides,
  };
}
