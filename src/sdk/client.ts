import type {
  ApplyConfigResult,
  CreateProjectBody,
  CreateReleaseBody,
  Deployment,
  DeploymentStatus,
  Environment,
  PageOf,
  Project,
  ProjectStatus,
  PromoteBody,
  Release,
  ReleaseDetail,
} from "../shared/api.ts";
import { ApprovalsClient } from "./approvals.ts";
import { networkError } from "./errors.ts";
import { readLines } from "./lines.ts";
import { type PageRequest, paginate } from "./paginate.ts";
import { path, readJson } from "./transport.ts";

export type { StagegateClientOptions } from "./transport.ts";

export interface DeploymentQuery extends PageRequest {
  environment?: string;
  status?: DeploymentStatus;
}

export interface ApplyConfigOptions {
  /** `application/yaml` (default) or `application/json`. */
  contentType?: string;
  /** Remove environments that the file no longer lists. */
  prune?: boolean;
}

/**
 * Typed client of the stagegate HTTP API (`/api/v1`). Every method throws `ApiError` on a non-2xx answer and
 * `ApiError` with status 0 / code `network_error` when the server cannot be reached.
 */
export class StagegateClient extends ApprovalsClient {
  // ── projects and config ───────────────────────────────────────────────────────────────────────────────────────
  async createProject(body: CreateProjectBody): Promise<Project> {
    return this.json("/api/v1/projects", { method: "POST", json: body });
  }

  async listProjects(page: PageRequest = {}): Promise<PageOf<Project>> {
    return this.json("/api/v1/projects", { query: { ...page } });
  }

  async getProject(slug: string): Promise<Project> {
    return this.json(path`/api/v1/projects/${slug}`);
  }

  /** Applies a `stagegate.yaml` (or JSON) text as is; the project is created from the file when it does not exist. */
  async applyConfig(slug: string, text: string, options: ApplyConfigOptions = {}): Promise<ApplyConfigResult> {
    return this.json(path`/api/v1/projects/${slug}/config`, {
      method: "PUT",
      query: { prune: options.prune ? "true" : undefined },
      text: { body: text, contentType: options.contentType ?? "application/yaml" },
    });
  }

  async getConfig(slug: string): Promise<string> {
    const { response } = await this.send(path`/api/v1/projects/${slug}/config`, { accept: "application/yaml" });
    return response.text();
  }

  async listEnvironments(slug: string): Promise<{ items: Environment[] }> {
    return this.json(path`/api/v1/projects/${slug}/environments`);
  }

  async status(slug: string): Promise<ProjectStatus> {
    return this.json(path`/api/v1/projects/${slug}/status`);
  }

  // ── releases ──────────────────────────────────────────────────────────────────────────────────────────────────
  /** Creating a release identical to an existing one returns that one; a different commit/digest is a 409. */
  async createRelease(slug: string, body: CreateReleaseBody): Promise<Release> {
    return this.json(path`/api/v1/projects/${slug}/releases`, { method: "POST", json: body });
  }

  async listReleases(slug: string, page: PageRequest = {}): Promise<PageOf<Release>> {
    return this.json(path`/api/v1/projects/${slug}/releases`, { query: { ...page } });
  }

  async getRelease(slug: string, version: string): Promise<ReleaseDetail> {
    return this.json(path`/api/v1/projects/${slug}/releases/${version}`);
  }

  // ── deployments ───────────────────────────────────────────────────────────────────────────────────────────────
  /** `created` is false when the server returned an already open deployment of this release to this environment. */
  async promote(
    slug: string,
    version: string,
    environment: string,
    options: { idempotencyKey?: string } = {},
  ): Promise<{ deployment: Deployment; created: boolean }> {
    const body: PromoteBody = { environment };
    const { response, url } = await this.send(path`/api/v1/projects/${slug}/releases/${version}/promote`, {
      method: "POST",
      json: body,
      headers: options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {},
    });
    return { deployment: await readJson<Deployment>(response, url), created: response.status === 201 };
  }

  async rollback(slug: string, environment: string): Promise<Deployment> {
    return this.json(path`/api/v1/projects/${slug}/environments/${environment}/rollback`, { method: "POST" });
  }

  async getDeployment(id: string): Promise<Deployment> {
    return this.json(path`/api/v1/deployments/${id}`);
  }

  async listDeployments(slug: string, query: DeploymentQuery = {}): Promise<PageOf<Deployment>> {
    return this.json(path`/api/v1/projects/${slug}/deployments`, { query: { ...query } });
  }

  async cancelDeployment(id: string): Promise<Deployment> {
    return this.json(path`/api/v1/deployments/${id}/cancel`, { method: "POST" });
  }

  /** The log so far, as text: one `<ISO time> <stream> <message>` line per record. */
  async getLog(id: string): Promise<string> {
    const { response } = await this.send(path`/api/v1/deployments/${id}/log`, { accept: "text/plain" });
    return response.text();
  }

  /**
   * The log from its start, line by line, while the deployment runs; ends when the server closes the stream (the
   * deployment ended). Aborting `signal` ends the iteration without an error.
   */
  async *followLog(id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<string> {
    const { signal } = options;
    let opened: { response: Response; url: string };
    try {
      opened = await this.send(path`/api/v1/deployments/${id}/log`, {
        query: { follow: 1 },
        accept: "text/plain",
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    const { response, url } = opened;
    if (!response.body) return;
    try {
      yield* readLines(response.body);
    } catch (error) {
      if (signal?.aborted) return;
      throw networkError(`${url} (the connection dropped while following the log)`, error);
    }
  }

  // ── health, helpers ───────────────────────────────────────────────────────────────────────────────────────────
  async health(): Promise<{ status: string }> {
    return this.json("/healthz");
  }

  /** Every item of a list endpoint: `client.paginate((page) => client.listReleases("demo", page))`. */
  paginate<T>(list: (page: PageRequest) => Promise<PageOf<T>>, options: { pageSize?: number } = {}): AsyncGenerator<T> {
    return paginate(list, options);
  }
}
