import { type FakeReply, type FakeServer, isPlainObject, startFakeServer } from "./http.fake.ts";

/**
 * GitLab's REST API v4 pipelines, as documented:
 * - POST /api/v4/projects/:id/pipeline {ref, variables: [{key, value, variable_type}]} → 201 pipeline
 *   ({id, iid, project_id, status, ref, sha, web_url, created_at, started_at, …}); 400 for an unknown ref
 * - GET  /api/v4/projects/:id/pipelines/:pipeline_id → pipeline
 * - GET  /api/v4/projects/:id/pipelines/:pipeline_id/jobs?scope[]=failed → [{id, name, stage, status, failure_reason}]
 * - POST /api/v4/projects/:id/pipelines/:pipeline_id/cancel → 200 pipeline
 * `:id` is a number or the URL-encoded path (`data%2Ftranscripts`). Auth: `PRIVATE-TOKEN` header, else 401.
 */

export const GITLAB_TOKEN = "glpat-FakeTokenForStagegate01";
export const GITLAB_PROJECT = "data/transcripts";

export interface FakeGitLabPipeline {
  id: number;
  ref: string;
  variables: Record<string, string>;
  polls: number;
  canceled: boolean;
  createdAt: string;
  outcome: "success" | "failed";
  runningPolls: number;
}

export interface GitLabFake {
  server: FakeServer;
  url: string;
  pipelines: FakeGitLabPipeline[];
  /** How the next pipelines behave, by ref. */
  behaviour: Map<string, { outcome: "success" | "failed"; runningPolls: number }>;
  close(): Promise<void>;
}

export async function startGitLabFake(): Promise<GitLabFake> {
  const pipelines: FakeGitLabPipeline[] = [];
  const behaviour = new Map<string, { outcome: "success" | "failed"; runningPolls: number }>([
    ["main", { outcome: "success", runningPolls: 2 }],
    ["broken", { outcome: "failed", runningPolls: 1 }],
    ["slow", { outcome: "success", runningPolls: Number.POSITIVE_INFINITY }],
  ]);
  let nextId = 4711;
  const message = (status: number, text: unknown): FakeReply => ({ status, body: { message: text } });

  const server = await startFakeServer((request) => {
    if (request.headers["private-token"] !== GITLAB_TOKEN) return message(401, "401 Unauthorized");
    const prefix = `/api/v4/projects/${encodeURIComponent(GITLAB_PROJECT)}/`;
    if (!request.path.startsWith(prefix)) return message(404, "404 Project Not Found");
    const parts = request.path.slice(prefix.length).split("/");
    const view = (pipeline: FakeGitLabPipeline, advance: boolean) => {
      if (advance) pipeline.polls++;
      const done = pipeline.canceled || pipeline.polls > pipeline.runningPolls;
      return {
        id: pipeline.id,
        iid: pipeline.id - 4000,
        project_id: 42,
        status: pipeline.canceled ? "canceled" : done ? pipeline.outcome : pipeline.polls === 0 ? "created" : "running",
        source: "api",
        ref: pipeline.ref,
        sha: "b".repeat(40),
        web_url: `${server.url}/${GITLAB_PROJECT}/-/pipelines/${pipeline.id}`,
        created_at: pipeline.createdAt,
        started_at: pipeline.createdAt,
      };
    };

    if (parts[0] === "pipeline" && parts.length === 1 && request.method === "POST") {
      const body = request.json;
      if (!isPlainObject(body) || typeof body.ref !== "string") return message(400, { ref: ["is missing"] });
      const spec = behaviour.get(body.ref);
      if (!spec) return message(400, { base: ["Reference not found"] });
      const variables: Record<string, string> = {};
      for (const variable of Array.isArray(body.variables) ? body.variables : []) {
        if (!isPlainObject(variable) || typeof variable.key !== "string" || typeof variable.value !== "string")
          return message(400, "variables is invalid");
        variables[variable.key] = variable.value;
      }
      const pipeline: FakeGitLabPipeline = {
        id: nextId++,
        ref: body.ref,
        variables,
        polls: 0,
        canceled: false,
        createdAt: new Date().toISOString(),
        ...spec,
      };
      pipelines.push(pipeline);
      return { status: 201, body: view(pipeline, false) };
    }
    if (parts[0] === "pipelines" && parts[1]) {
      const pipeline = pipelines.find((candidate) => String(candidate.id) === parts[1]);
      if (!pipeline) return message(404, "404 Not found");
      if (parts.length === 2 && request.method === "GET") return { status: 200, body: view(pipeline, true) };
      if (parts[2] === "cancel" && request.method === "POST") {
        pipeline.canceled = true;
        return { status: 200, body: view(pipeline, false) };
      }
      if (parts[2] === "jobs" && request.method === "GET") {
        const failed = request.query.getAll("scope[]").includes("failed");
        const jobs = [
          { id: pipeline.id * 10, name: "build", stage: "build", status: "success", failure_reason: null },
          {
            id: pipeline.id * 10 + 1,
            name: "integration",
            stage: "test",
            status: pipeline.outcome,
            failure_reason: pipeline.outcome === "failed" ? "script_failure" : null,
          },
        ];
        return { status: 200, body: jobs.filter((job) => !failed || job.status === "failed") };
      }
    }
    return message(404, "404 Not Found");
  });
  return { server, url: server.url, pipelines, behaviour, close: () => server.close() };
}

export function gitlabConfig(fake: GitLabFake, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { project: GITLAB_PROJECT, token: GITLAB_TOKEN, apiUrl: `${fake.url}/api/v4`, pollInterval: "10ms", ...overrides };
}
