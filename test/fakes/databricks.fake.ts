import { bearerOf, type FakeReply, type FakeRequest, type FakeServer, isPlainObject, startFakeServer } from "./http.fake.ts";

/**
 * A Databricks workspace's Jobs API 2.1 and OAuth M2M token endpoint, as documented:
 * - POST /oidc/v1/token (HTTP Basic client id:secret, grant_type=client_credentials, scope=all-apis) → {access_token, …}
 * - POST /api/2.1/jobs/run-now {job_id, job_parameters?, idempotency_token?} → {run_id, number_in_job}; the same
 *   idempotency token returns the run it started before
 * - GET  /api/2.1/jobs/runs/get?run_id= → {run_id, job_id, state: {life_cycle_state, result_state?, state_message},
 *   tasks: [{run_id, task_key, state}], start_time, end_time, run_page_url}
 * - GET  /api/2.1/jobs/runs/get-output?run_id=<task run> → {metadata, error?, error_trace?}; a multi-task run's own id is refused
 * - POST /api/2.1/jobs/runs/cancel {run_id} → {}
 * Errors: `{"error_code", "message"}` with 400/401/403/404/429.
 */

export const DATABRICKS_PAT = "dapi0123456789abcdef0123456789abcdef";
export const DATABRICKS_CLIENT_ID = "6f1b4c2e-sp-stagegate";
export const DATABRICKS_CLIENT_SECRET = "dose0123456789secret";

export interface FakeJob {
  /** RUNNING polls before the run terminates; Infinity never ends. */
  runningPolls: number;
  tasks: Array<{ key: string; result: "SUCCESS" | "FAILED"; error?: string; trace?: string }>;
}

export interface FakeJobRun {
  runId: number;
  jobId: number;
  numberInJob: number;
  jobParameters: Record<string, string>;
  idempotencyToken: string | undefined;
  polls: number;
  cancel: "no" | "requested" | "done";
  startTime: number;
  tasks: Array<{ runId: number; key: string; result: "SUCCESS" | "FAILED"; error?: string; trace?: string }>;
  job: FakeJob;
}

export interface DatabricksFake {
  server: FakeServer;
  url: string;
  runs: FakeJobRun[];
  close(): Promise<void>;
}

export async function startDatabricksFake(jobs: Record<number, FakeJob>): Promise<DatabricksFake> {
  const tokens = new Set<string>([DATABRICKS_PAT]);
  const runs: FakeJobRun[] = [];
  let nextId = 1_000_000;
  const error = (status: number, code: string, message: string): FakeReply => ({ status, body: { error_code: code, message } });

  function oauth(request: FakeRequest): FakeReply {
    const basic = request.headers.authorization?.startsWith("Basic ")
      ? Buffer.from(request.headers.authorization.slice(6), "base64").toString()
      : "";
    if (basic !== `${DATABRICKS_CLIENT_ID}:${DATABRICKS_CLIENT_SECRET}`)
      return { status: 401, body: { error: "invalid_client", error_description: "Client authentication failed" } };
    if (request.form?.get("grant_type") !== "client_credentials" || request.form.get("scope") !== "all-apis")
      return {
        status: 400,
        body: { error: "invalid_request", error_description: "grant_type=client_credentials and scope=all-apis required" },
      };
    const token = `eyJraWQi.${nextId++}`;
    tokens.add(token);
    return { status: 200, body: { access_token: token, token_type: "Bearer", scope: "all-apis", expires_in: 3600 } };
  }

  function stateOf(run: FakeJobRun): { life_cycle_state: string; result_state?: string; state_message: string } {
    run.polls++;
    if (run.cancel === "requested") {
      run.cancel = "done";
      return { life_cycle_state: "TERMINATING", state_message: "" };
    }
    if (run.cancel === "done")
      return { life_cycle_state: "TERMINATED", result_state: "CANCELED", state_message: "Run cancelled." };
    if (run.polls === 1) return { life_cycle_state: "PENDING", state_message: "Waiting for cluster" };
    if (run.polls <= 1 + run.job.runningPolls) return { life_cycle_state: "RUNNING", state_message: "In run" };
    const failed = run.tasks.filter((task) => task.result === "FAILED");
    return failed.length
      ? {
          life_cycle_state: "TERMINATED",
          result_state: "FAILED",
          state_message: `Task ${failed[0]?.key} failed with message: Workload failed.`,
        }
      : { life_cycle_state: "TERMINATED", result_state: "SUCCESS", state_message: "" };
  }

  function runView(run: FakeJobRun, host: string) {
    const state = stateOf(run);
    const ended = state.life_cycle_state === "TERMINATED";
    const taskState = (task: FakeJobRun["tasks"][number]) =>
      ended
        ? { life_cycle_state: "TERMINATED", result_state: run.cancel === "done" ? "CANCELED" : task.result, state_message: "" }
        : { life_cycle_state: state.life_cycle_state, state_message: "" };
    return {
      job_id: run.jobId,
      run_id: run.runId,
      number_in_job: run.numberInJob,
      creator_user_name: "stagegate@example.com",
      state,
      start_time: run.startTime,
      end_time: ended ? Date.now() : 0,
      run_page_url: `${host}/?o=1234567890#job/${run.jobId}/run/${run.runId}`,
      run_type: "JOB_RUN",
      job_parameters: Object.entries(run.jobParameters).map(([name, value]) => ({ name, value })),
      tasks: run.tasks.map((task) => ({ run_id: task.runId, task_key: task.key, state: taskState(task) })),
    };
  }

  const server = await startFakeServer((request) => {
    if (request.path === "/oidc/v1/token" && request.method === "POST") return oauth(request);
    const bearer = bearerOf(request);
    if (!bearer) return error(401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported type for this API.");
    if (!tokens.has(bearer)) return error(403, "PERMISSION_DENIED", "Invalid access token.");
    const host = server.url;

    if (request.path === "/api/2.1/jobs/run-now" && request.method === "POST") {
      const body = request.json;
      if (!isPlainObject(body) || typeof body.job_id !== "number")
        return error(400, "INVALID_PARAMETER_VALUE", "Missing required field: job_id");
      const job = jobs[body.job_id];
      if (!job) return error(400, "INVALID_PARAMETER_VALUE", `Job ${body.job_id} does not exist.`);
      const params = body.job_parameters ?? {};
      if (!isPlainObject(params) || Object.values(params).some((value) => typeof value !== "string"))
        return error(400, "INVALID_PARAMETER_VALUE", "job_parameters must be a map of strings");
      const token = body.idempotency_token;
      if (token !== undefined && (typeof token !== "string" || token.length > 64))
        return error(400, "INVALID_PARAMETER_VALUE", "idempotency_token must be at most 64 characters");
      const existing = token === undefined ? undefined : runs.find((run) => run.idempotencyToken === token);
      if (existing) return { status: 200, body: { run_id: existing.runId, number_in_job: existing.numberInJob } };
      const run: FakeJobRun = {
        runId: nextId++,
        jobId: body.job_id,
        numberInJob: runs.filter((candidate) => candidate.jobId === body.job_id).length + 1,
        jobParameters: params as Record<string, string>,
        idempotencyToken: token,
        polls: 0,
        cancel: "no",
        startTime: Date.now(),
        tasks: job.tasks.map((task) => ({ ...task, runId: nextId++ })),
        job,
      };
      runs.push(run);
      return { status: 200, body: { run_id: run.runId, number_in_job: run.numberInJob } };
    }
    if (request.path === "/api/2.1/jobs/runs/get" && request.method === "GET") {
      const run = runs.find((candidate) => String(candidate.runId) === request.query.get("run_id"));
      if (!run) return error(400, "INVALID_PARAMETER_VALUE", `Run ${request.query.get("run_id")} does not exist.`);
      return { status: 200, body: runView(run, host) };
    }
    if (request.path === "/api/2.1/jobs/runs/get-output" && request.method === "GET") {
      const id = request.query.get("run_id");
      if (runs.some((run) => String(run.runId) === id && run.tasks.length > 1))
        return error(
          400,
          "INVALID_PARAMETER_VALUE",
          "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.",
        );
      const found = runs.flatMap((run) => run.tasks.map((task) => ({ run, task }))).find(({ task }) => String(task.runId) === id);
      if (!found) return error(400, "INVALID_PARAMETER_VALUE", `Run ${id} does not exist.`);
      return {
        status: 200,
        body: {
          metadata: { job_id: found.run.jobId, run_id: found.task.runId, task_key: found.task.key },
          ...(found.task.error ? { error: found.task.error } : {}),
          ...(found.task.trace ? { error_trace: found.task.trace } : {}),
        },
      };
    }
    if (request.path === "/api/2.1/jobs/runs/cancel" && request.method === "POST") {
      const body = request.json;
      const run = isPlainObject(body) ? runs.find((candidate) => candidate.runId === body.run_id) : undefined;
      if (!run) return error(400, "INVALID_PARAMETER_VALUE", "Missing or unknown run_id (a number)");
      if (run.cancel === "no") run.cancel = "requested";
      return { status: 200, body: {} };
    }
    return error(404, "ENDPOINT_NOT_FOUND", `No API found for '${request.method} ${request.path}'`);
  });
  return { server, url: server.url, runs, close: () => server.close() };
}

export function databricksConfig(fake: DatabricksFake, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const config: Record<string, unknown> = {
    host: fake.url,
    jobId: 101,
    token: DATABRICKS_PAT,
    pollInterval: "10ms",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
}
