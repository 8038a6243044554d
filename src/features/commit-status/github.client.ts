import { type CommitStatusClient, DEFAULT_API_URLS, PermanentDeliveryError } from "./commit-status.types.ts";
import { joinUrl, postJson, truncate } from "./provider.http.ts";

/** GitHub rejects a longer description with 422 "description is too long (maximum is 140 characters)". */
export const GITHUB_DESCRIPTION_MAX = 140;

/**
 * GitHub REST "Create a commit status": `POST /repos/{owner}/{repo}/statuses/{sha}` with
 * `{state, target_url, description, context}`; 201 on success. https://docs.github.com/rest/commits/statuses
 */
export const githubClient: CommitStatusClient = {
  async postStatus(config, request, options) {
    const [owner, repo, ...rest] = config.repository.split("/");
    if (!owner || !repo || rest.length > 0) {
      throw new PermanentDeliveryError(`commitStatus.repository "${config.repository}" is not owner/repo, which GitHub needs`);
    }
    const path = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/statuses/${encodeURIComponent(request.sha)}`;
    await postJson(
      {
        provider: "GitHub",
        url: joinUrl(config.apiUrl ?? DEFAULT_API_URLS.github, path),
        headers: {
          Accept: "application/vnd.github+json",
          Authorization: `Bearer ${config.token}`,
          "X-GitHub-Api-Version": "2022-11-28",
        },
        body: {
          state: request.state,
          target_url: request.targetUrl,
          description: truncate(request.description, GITHUB_DESCRIPTION_MAX),
          context: request.context,
        },
      },
      options,
    );
  },
};
