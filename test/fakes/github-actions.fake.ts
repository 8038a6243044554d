import { type FakeReply, type FakeRequest, type FakeServer, isPlainObject, startFakeServer } from "./http.fake.ts";

/**
 * GitHub's Actions REST API (2022-11-28), as documented:
 * - POST /repos/{o}/{r}/actions/workflows/{id}/dispatches {ref, inputs?, return_run_details?} → 204, or 200
 *   {workflow_run_id, run_url, html_url} with return_run_details (not on `legacy` servers, which always answer 204);
 *   422 for an unknown ref or undeclared inputs
 * - GET  /repos/{o}/{r}/actions/workflows/{id}/runs?event=&branch=&created=>=… → {total_count, workflow_runs}
 * - GET  /repos/{o}/{r}/actions/runs/{run_id} → {id, status, conclusion, html_url, created_at, run_started_at, …}
 * - GET  /repos/{o}/{r}/actions/runs/{run_id}/jobs → {total_count, jobs: [{name, conclusion, steps}]}
 * - POST /repos/{o}/{r}/actions/runs/{run_id}/cancel → 202, 409 when already completed
 * Errors are `{"message", "documentation_url"}`; an exhausted rate limit is 403 + `x-ratelimit-remaining: 0`.
 */

export const GITHUB_TOKEN = "ghp_fakeTokenForStagegateTests0123456789";
export const GITHUB_OWNER = "acme";
export const GITHUB_REPO = "transcripts";

export interface FakeWorkflow {
  inputs: string[];
  /** Polls while in_progress before completing; Infinity never completes. */
  inProgressPolls: number;
  conclusion: "success" | "failure" | "cancelled";
  failedStep?: string;
}

export interface FakeWorkflowRun {
  id: number;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
  polls: number;
  cancelled: boolean;
  createdAt: string;
  spec: FakeWorkflow;
}

export interface GitHubFake {
  server: FakeServer;
  url: string;
  runs: FakeWorkflowRun[];
  /** Answer dispatches with 204 only, as GitHub Enterprise Server versions before return_run_details do. */
  legacy: boolean;
  /** The next `count` requests hit an exhausted primary rate limit. */
  rateLimit(count: number): void;
  close(): Promise<void>;
}

export async function startGitHubFake(workflows: Record<string, FakeWorkflow>): Promise<GitHubFake> {
  const runs: FakeWorkflowRun[] = [];
  let nextId = 9_000_000_001;
  let limited = 0;
  const state = { legacy: false };
  const fail = (status: number, message: string, headers: Record<string, string> = {}): FakeReply => ({
    status,
    headers,
    body: { message, documentation_url: "https://docs.github.com/rest/actions", status: String(status) },
  });

  const view = (run: FakeWorkflowRun, base: string, advance: boolean) => {
    if (advance) run.polls++;
    const completed = run.cancelled || run.polls > run.spec.inProgressPolls;
    return {
      id: run.id,
      name: run.workflow,
      head_branch: run.ref,
      event: "workflow_dispatch",
      status: completed ? "completed" : run.polls === 0 ? "queued" : "in_progress",
      conclusion: completed ? (run.cancelled ? "cancelled" : run.spec.conclusion) : null,
      html_url: `${base}/${GITHUB_OWNER}/${GITHUB_REPO}/actions/runs/${run.id}`,
      url: `${base}/repos/${GITHUB_OWNER}/${GITHUB_REPO}/actions/runs/${run.id}`,
      created_at: run.createdAt,
      run_started_at: run.createdAt,
      run_attempt: 1,
    };
  };

  function handle(request: FakeRequest, base: string): FakeReply {
    if (limited > 0) {
      limited--;
      return fail(403, "API rate limit exceeded for installation ID 1.", {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000)),
      });
    }
    if (request.headers.authorization !== `Bearer ${GITHUB_TOKEN}`) return fail(401, "Bad credentials");
    if (request.headers["x-github-api-version"] !== "2022-11-28") return fail(400, "Unsupported 'X-GitHub-Api-Version' header");
    const prefix = `/repos/${GITHUB_OWNER}/${GITHUB_REPO}/actions/`;
    if (!request.path.startsWith(prefix)) return fail(404, "Not Found");
    const parts = request.path.slice(prefix.length).split("/").map(decodeURIComponent);

    if (parts[0] === "workflows" && parts[2] === "dispatches" && request.method === "POST") {
      const workflow = workflows[parts[1] ?? ""];
      if (!workflow) return fail(404, "Not Found");
      const body = request.json;
      if (!isPlainObject(body) || typeof body.ref !== "string") return fail(422, 'Invalid request.\n\n"ref" wasn\'t supplied.');
      if (body.ref !== "main" && body.ref !== "release") return fail(422, `No ref found for: ${body.ref}`);
      const inputs = body.inputs ?? {};
      if (!isPlainObject(inputs)) return fail(422, "Invalid request. For 'properties/inputs', is not an object.");
      const unexpected = Object.keys(inputs).filter((name) => !workflow.inputs.includes(name));
      if (unexpected.length) return fail(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
      const run: FakeWorkflowRun = {
        id: nextId++,
        workflow: parts[1] ?? "",
        ref: body.ref,
        inputs: inputs as Record<string, string>,
        polls: 0,
        cancelled: false,
        createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        spec: workflow,
      };
      runs.push(run);
      if (body.return_run_details === true && !state.legacy) {
        const shown = view(run, base, false);
        return { status: 200, body: { workflow_run_id: run.id, run_url: shown.url, html_url: shown.html_url } };
      }
      return { status: 204 };
    }
    if (parts[0] === "workflows" && parts[2] === "runs" && request.method === "GET") {
      const created = request.query.get("created") ?? "";
      const since = created.startsWith(">=") ? Date.parse(created.slice(2)) : 0;
      const matching = runs
        .filter((run) => run.workflow === parts[1])
        .filter((run) => !request.query.get("branch") || run.ref === request.query.get("branch"))
        .filter((run) => Date.parse(run.createdAt) >= since)
        .reverse();
      return {
        status: 200,
        body: { total_count: matching.length, workflow_runs: matching.map((run) => view(run, base, false)) },
      };
    }
    if (parts[0] === "runs" && parts[1]) {
      const run = runs.find((candidate) => String(candidate.id) === parts[1]);
      if (!run) return fail(404, "Not Found");
      if (parts.length === 2 && request.method === "GET") return { status: 200, body: view(run, base, true) };
      if (parts[2] === "cancel" && request.method === "POST") {
        if (view(run, base, false).status === "completed") return fail(409, "Cannot cancel a workflow run that is completed.");
        run.cancelled = true;
        return { status: 202, body: {} };
      }
      if (parts[2] === "jobs" && request.method === "GET") {
        const failed = run.spec.conclusion === "failure";
        return {
          status: 200,
          body: {
            total_count: 1,
            jobs: [
              {
                id: run.id + 1,
                run_id: run.id,
                name: "deploy",
                status: "completed",
                conclusion: run.spec.conclusion,
                steps: [
                  { name: "Set up job", status: "completed", conclusion: "success", number: 1 },
                  {
                    name: run.spec.failedStep ?? "Deploy",
                    status: "completed",
                    conclusion: failed ? "failure" : "success",
                    number: 2,
                  },
                ],
              },
            ],
          },
        };
      }
    }
    return fail(404, "Not Found");
  }

  const server = await startFakeServer((request) => handle(request, server.url));
  return {
    server,
    url: server.url,
    runs,
    get legacy() {
      return state.legacy;
    },
    set legacy(value: boolean) {
      state.legacy = value;
    },
    rateLimit(count) {
      limited = count;
    },
    close: () => server.close(),
  };
}

export function githubConfig(fake: GitHubFake, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    owner: GITHUB_OWNER,
    repo: GITHUB_REPO,
    workflow: "deploy.yml",
    token: GITHUB_TOKEN,
    apiUrl: fake.url,
    pollInterval: "10ms",
    ...overrides,
  };
}
