import { assertNever } from "../../shared/errors.ts";
import { type CommitState, type CommitStatusClient, DEFAULT_API_URLS } from "./commit-status.types.ts";
import { joinUrl, postJson, truncate } from "./provider.http.ts";

/** GitLab: "Short description of the status. Must be 255 characters or fewer." */
export const GITLAB_DESCRIPTION_MAX = 255;

export type GitlabState = "pending" | "running" | "success" | "failed" | "canceled" | "skipped";

/** GitLab has no `error`: a status we could not determine is as red as a failure there. */
export function gitlabState(state: CommitState): GitlabState {
  switch (state) {
    case "success":
      return "success";
    case "failure":
    case "error":
      return "failed";
    case "pending":
      return "pending";
    default:
      return assertNever(state, "commit state");
  }
}

/**
 * GitLab "Set the pipeline status of a commit": `POST /projects/:id/statuses/:sha` with
 * `{state, name, target_url, description, ref?, coverage?}`; 201 on success. `:id` is the numeric id or the URL-encoded path
 * (`group%2Frepo`). https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
 */
export const gitlabClient: CommitStatusClient = {
  async postStatus(config, request, options) {
    const project = encodeURIComponent(config.repository);
    await postJson(
      {
        provider: "GitLab",
        url: joinUrl(
          config.apiUrl ?? DEFAULT_API_URLS.gitlab,
          `/projects/${project}/statuses/${encodeURIComponent(request.sha)}`,
        ),
        // PRIVATE-TOKEN takes personal, project and group access tokens alike.
        headers: { Accept: "application/json", "PRIVATE-TOKEN": config.token },
        body: {
          state: gitlabState(request.state),
          name: request.context,
          target_url: request.targetUrl,
          description: truncate(request.description, GITLAB_DESCRIPTION_MAX),
          ...(request.ref ? { ref: request.ref } : {}),
          ...(request.coverage !== undefined ? { coverage: request.coverage } : {}),
        },
      },
      options,
    );
  },
};
