import type { ServerResponse } from "node:http";
import {
  type RecordedRequest,
  type RecordingServer,
  sendJson,
  startRecordingServer,
} from "../../../test/helpers/recording-server.ts";

/**
 * Fakes of the GitHub and GitLab commit status endpoints for tests, speaking their documented wire format: the same
 * paths, required headers, validation errors and 201 bodies. `failNext` scripts outages and rate limits.
 */
export interface ProviderFake {
  url: string;
  requests: RecordedRequest[];
  /** Statuses accepted, in order, as the provider stored them. */
  statuses: Record<string, unknown>[];
  failNext(status: number, options?: { headers?: Record<string, string>; body?: unknown }): void;
  close(): Promise<void>;
}

interface Scripted {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function startFake(
  handle: (request: RecordedRequest, response: ServerResponse, statuses: Record<string, unknown>[]) => void,
): Promise<ProviderFake> {
  const script: Scripted[] = [];
  const statuses: Record<string, unknown>[] = [];
  const server: RecordingServer = await startRecordingServer((request, response) => {
    const next = script.shift();
    if (next) {
      response.writeHead(next.status, { "content-type": "application/json", ...next.headers });
      response.end(JSON.stringify(next.body));
      return;
    }
    handle(request, response, statuses);
  });
  return {
    url: server.url,
    requests: server.requests,
    statuses,
    failNext(status, options = {}) {
      script.push({ status, headers: options.headers ?? {}, body: options.body ?? { message: `HTTP ${status}` } });
    },
    close: () => server.close(),
  };
}

const GITHUB_DOCS = "https://docs.github.com/rest/commits/statuses#create-a-commit-status";
const GITHUB_STATES = ["error", "failure", "pending", "success"];

/** api.github.com for one repository and the commits it knows. */
export function startGithubFake(options: { repository: string; token: string; shas: string[] }): Promise<ProviderFake> {
  let nextId = 1;
  return startFake((request, response, statuses) => {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/?]+)$/.exec(request.url);
    if (request.method !== "POST" || !match)
      return sendJson(response, 404, { message: "Not Found", documentation_url: GITHUB_DOCS });
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      return sendJson(response, 401, {
        message: "Bad credentials",
        documentation_url: "https://docs.github.com/rest",
        status: "401",
      });
    }
    if (`${match[1]}/${match[2]}` !== options.repository) {
      return sendJson(response, 404, { message: "Not Found", documentation_url: GITHUB_DOCS, status: "404" });
    }
    const apiVersion = request.headers["x-github-api-version"];
    if (apiVersion !== undefined && apiVersion !== "2022-11-28") {
      return sendJson(response, 400, { message: `API version ${String(apiVersion)} is not supported.` });
    }
    const body = parseJson(request.body);
    if (!isRecord(body)) return sendJson(response, 400, { message: "Problems parsing JSON", documentation_url: GITHUB_DOCS });
    const sha = match[3] ?? "";
    if (!options.shas.includes(sha)) {
      return sendJson(response, 422, {
        message: `No commit found for SHA: ${sha}`,
        documentation_url: GITHUB_DOCS,
        status: "422",
      });
    }
    const errors: Record<string, string>[] = [];
    if (typeof body.state !== "string" || !GITHUB_STATES.includes(body.state)) {
      errors.push({ resource: "Status", code: "custom", field: "state", message: "state is not included in the list" });
    }
    if (typeof body.description === "string" && Array.from(body.description).length > 140) {
      errors.push({
        resource: "Status",
        code: "custom",
        field: "description",
        message: "description is too long (maximum is 140 characters)",
      });
    }
    if (errors.length > 0) {
      return sendJson(response, 422, { message: "Validation Failed", errors, documentation_url: GITHUB_DOCS, status: "422" });
    }
    const status = {
      url: `https://api.github.com/repos/${options.repository}/statuses/${sha}`,
      id: nextId++,
      node_id: "SC_kwDOfake",
      state: body.state,
      description: body.description ?? null,
      target_url: body.target_url ?? null,
      context: typeof body.context === "string" ? body.context : "default",
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      creator: { login: "stagegate-bot", id: 1, type: "Bot" },
    };
    statuses.push(status);
    sendJson(response, 201, status);
  });
}

const GITLAB_STATES = ["pending", "running", "success", "failed", "canceled", "skipped"];

/** A GitLab instance under `/api/v4` with one project (numeric id and path) and the commits it knows. */
export function startGitlabFake(options: {
  projectId: number;
  path: string;
  token: string;
  shas: string[];
}): Promise<ProviderFake> {
  let nextId = 90;
  return startFake((request, response, statuses) => {
    // Grape routes on the raw path: a project path must arrive URL-encoded (group%2Frepo), or it is another route.
    const match = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([^/?]+)$/.exec(request.url);
    if (request.method !== "POST" || !match) return sendJson(response, 404, { error: "404 Not Found" });
    const bearer = request.headers.authorization;
    if (request.headers["private-token"] !== options.token && bearer !== `Bearer ${options.token}`) {
      return sendJson(response, 401, { message: "401 Unauthorized" });
    }
    const id = match[1] ?? "";
    if (id !== String(options.projectId) && id !== encodeURIComponent(options.path)) {
      return sendJson(response, 404, { message: "404 Project Not Found" });
    }
    const body = parseJson(request.body);
    if (!isRecord(body)) return sendJson(response, 400, { error: "The provided content-type '' is not supported." });
    if (body.state === undefined)
      return sendJson(response, 400, { error: "state is missing, state does not have a valid value" });
    if (typeof body.state !== "string" || !GITLAB_STATES.includes(body.state)) {
      return sendJson(response, 400, { error: "state does not have a valid value" });
    }
    const sha = match[2] ?? "";
    if (!options.shas.includes(sha)) return sendJson(response, 404, { message: "404 Commit Not Found" });
    for (const field of ["description", "target_url", "ref"]) {
      const value = body[field];
      if (typeof value === "string" && Array.from(value).length > 255) {
        return sendJson(response, 400, { message: { [field]: ["is too long (maximum is 255 characters)"] } });
      }
    }
    const name = typeof body.name === "string" ? body.name : typeof body.context === "string" ? body.context : "default";
    const status = {
      id: nextId++,
      sha,
      ref: typeof body.ref === "string" ? body.ref : "main",
      status: body.state,
      name,
      target_url: body.target_url ?? null,
      description: body.description ?? null,
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: new Date().toISOString(),
      allow_failure: false,
      coverage: typeof body.coverage === "number" ? body.coverage : null,
      pipeline_id: 1,
      author: { id: 28, username: "stagegate-bot", name: "Stagegate", state: "active" },
    };
    statuses.push(status);
    sendJson(response, 201, status);
  });
}
