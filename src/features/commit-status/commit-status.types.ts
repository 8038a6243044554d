import { type Static, Type } from "typebox";

/** What the GitHub and GitLab clients throw; the same classes serve every delivery to a service across the internet. */
export { PermanentDeliveryError, RetryableDeliveryError } from "../../shared/delivery.ts";

export type CommitStatusProvider = "github" | "gitlab";

export const DEFAULT_API_URLS: Record<CommitStatusProvider, string> = {
  github: "https://api.github.com",
  gitlab: "https://gitlab.com/api/v4",
};

const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * `commitStatus:` in stagegate.yaml: where the outcome of every completed report run is posted as a commit status.
 * One per project. `apiUrl` points at GitHub Enterprise Server or a self-managed GitLab.
 */
export const CommitStatusConfigSchema = Type.Refine(
  Type.Object(
    {
      provider: Type.Union([Type.Literal("github"), Type.Literal("gitlab")], { description: "Where the commit lives" }),
      apiUrl: Type.Optional(
        Type.String({
          pattern: "^https?://[^\\s]+$",
          maxLength: 2000,
          description: "REST API root; default https://api.github.com or https://gitlab.com/api/v4",
        }),
      ),
      repository: Type.String({
        minLength: 1,
        maxLength: 1000,
        pattern: "^[^\\s]+$",
        description: "GitHub: owner/repo. GitLab: the project's numeric id or its path (group/subgroup/repo)",
      }),
      token: Type.String({
        minLength: 1,
        description: "Secret. GitHub: a token that may write commit statuses. GitLab: an access token with the api scope",
      }),
      context: Type.Optional(
        Type.String({ minLength: 1, maxLength: 255, description: "Label of the status; default stagegate/<report kind>" }),
      ),
    },
    { additionalProperties: false },
  ),
  (config) => config.provider !== "github" || GITHUB_REPOSITORY.test(config.repository),
  (config) => `repository ${JSON.stringify(config.repository)} is not owner/repo, which GitHub needs`,
);
export type CommitStatusConfig = Static<typeof CommitStatusConfigSchema>;

/** Commit status states in GitHub's vocabulary; the GitLab client maps them to its own. */
export type CommitState = "success" | "failure" | "error" | "pending";

export interface StatusRequest {
  sha: string;
  state: CommitState;
  description: string;
  targetUrl: string;
  context: string;
  /** Branch or tag; GitLab attaches the status to that ref's pipeline. GitHub has no such field. */
  ref?: string;
  /** Line coverage in percent: GitLab shows it with the pipeline (`coverage`, a float). GitHub has no such field. */
  coverage?: number;
}

export interface PostOptions {
  /** Aborts the request (the job lost its lease or the runner stops). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface CommitStatusClient {
  postStatus(config: CommitStatusConfig, request: StatusRequest, options?: PostOptions): Promise<void>;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One commit status for one report run, as recorded. */
export interface DeliveryRecord {
  id: string;
  projectId: string;
  runId: string;
  provider: CommitStatusProvider;
  sha: string;
  state: CommitState;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export const DELIVER_JOB = "commit_status.deliver";

/** What the job carries: everything needed to post, except the config (read at delivery, so a new token applies). */
export const DeliverPayloadSchema = Type.Object({
  deliveryId: Type.String(),
  projectId: Type.String(),
  runId: Type.String(),
  kind: Type.String(),
  sha: Type.String(),
  ref: Type.String(),
  state: Type.Union([Type.Literal("success"), Type.Literal("failure"), Type.Literal("error"), Type.Literal("pending")]),
  description: Type.String(),
  targetUrl: Type.String(),
  /** Optional: jobs queued before it was added carry none. */
  coverage: Type.Optional(Type.Number()),
});
export type DeliverPayload = Static<typeof DeliverPayloadSchema>;
