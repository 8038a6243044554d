import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type CommitStatusConfig,
  PermanentDeliveryError,
  RetryableDeliveryError,
  type StatusRequest,
} from "./commit-status.types.ts";
import { gitlabClient, gitlabState } from "./gitlab.client.ts";
import { type ProviderFake, startGitlabFake } from "./providers.fake.ts";

const SHA = "18f3e63d05582537db6d183d9d557be09e1f90c8";
const TOKEN = "glpat-secret";

describe("GitLab commit status client", () => {
  let gitlab: ProviderFake;
  let config: CommitStatusConfig;
  const request: StatusRequest = {
    sha: SHA,
    state: "success",
    description: "212 passed · lines 84.2%",
    targetUrl: "https://stagegate.acme.test/api/v1/report-runs/run_1",
    context: "stagegate/unit",
    ref: "feature/x",
  };

  beforeAll(async () => {
    gitlab = await startGitlabFake({ projectId: 17, path: "data/ml/shop", token: TOKEN, shas: [SHA] });
    config = { provider: "gitlab", apiUrl: `${gitlab.url}/api/v4`, repository: "data/ml/shop", token: TOKEN };
  });
  afterEach(() => {
    gitlab.requests.length = 0;
    gitlab.statuses.length = 0;
  });
  afterAll(() => gitlab.close());

  async function failure(promise: Promise<unknown>): Promise<Error> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Error)) throw new Error("expected the post to fail");
    return error;
  }

  it("sends the documented request: URL-encoded project path, PRIVATE-TOKEN, name and ref", async () => {
    await gitlabClient.postStatus(config, request);
    const [sent] = gitlab.requests;
    expect(sent?.method).toBe("POST");
    expect(sent?.url).toBe(`/api/v4/projects/data%2Fml%2Fshop/statuses/${SHA}`);
    expect(sent?.headers).toMatchObject({ "private-token": TOKEN, "content-type": "application/json" });
    expect(sent?.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent?.body ?? "")).toEqual({
      state: "success",
      name: "stagegate/unit",
      target_url: "https://stagegate.acme.test/api/v1/report-runs/run_1",
      description: "212 passed · lines 84.2%",
      ref: "feature/x",
    });
    expect(gitlab.statuses[0]).toMatchObject({ status: "success", name: "stagegate/unit", ref: "feature/x" });
  });

  it("addresses a project by numeric id too", async () => {
    await gitlabClient.postStatus({ ...config, repository: "17" }, request);
    expect(gitlab.requests[0]?.url).toBe(`/api/v4/projects/17/statuses/${SHA}`);
  });

  it("maps failure and error to GitLab's failed", async () => {
    expect([gitlabState("success"), gitlabState("failure"), gitlabState("error"), gitlabState("pending")]).toEqual([
      "success",
      "failed",
      "failed",
      "pending",
    ]);
    await gitlabClient.postStatus(config, { ...request, state: "error" });
    expect(gitlab.statuses[0]).toMatchObject({ status: "failed" });
  });

  it("is refused for good with a bad token, an unknown project or an unknown commit", async () => {
    for (const [changed, status] of [
      [{ ...config, token: "wrong" }, 401],
      [{ ...config, repository: "data/other" }, 404],
    ] as const) {
      const error = await failure(gitlabClient.postStatus(changed, request));
      expect(error).toBeInstanceOf(PermanentDeliveryError);
      expect((error as PermanentDeliveryError).httpStatus).toBe(status);
    }
    const commit = await failure(gitlabClient.postStatus(config, { ...request, sha: "0".repeat(40) }));
    expect(commit.message).toContain("404 Commit Not Found");
  });

  it("sends the line coverage as GitLab's coverage field when the run has one, and no field when it has none", async () => {
    await gitlabClient.postStatus(config, { ...request, coverage: 84.25 });
    expect(JSON.parse(gitlab.requests[0]?.body ?? "")).toMatchObject({ coverage: 84.25 });
    expect(gitlab.statuses[0]).toMatchObject({ coverage: 84.25 });
    await gitlabClient.postStatus(config, request);
    expect(JSON.parse(gitlab.requests[1]?.body ?? "")).not.toHaveProperty("coverage");
  });

  it("cuts a long description to the 255 characters GitLab accepts", async () => {
    await gitlabClient.postStatus(config, { ...request, description: "y".repeat(400) });
    expect(Array.from(String(gitlab.statuses[0]?.description))).toHaveLength(255);
  });

  it("retries a 409 (another update holds the commit's lock) and a 429 with an HTTP-date Retry-After", async () => {
    gitlab.failNext(409, { body: { message: "409 Conflict: Another update to this commit status is in progress" } });
    expect(await failure(gitlabClient.postStatus(config, request))).toBeInstanceOf(RetryableDeliveryError);
    gitlab.failNext(429, { headers: { "retry-after": new Date(Date.now() + 60_000).toUTCString() } });
    const limited = await failure(gitlabClient.postStatus(config, request));
    expect(limited).toBeInstanceOf(RetryableDeliveryError);
    expect((limited as RetryableDeliveryError).retryAfterMs).toBeGreaterThan(55_000);
  });
});

describe("the GitLab fake", () => {
  it("requires state, as GitLab does", async () => {
    const gitlab = await startGitlabFake({ projectId: 17, path: "data/ml/shop", token: TOKEN, shas: [SHA] });
    try {
      const post = (body: unknown) =>
        fetch(`${gitlab.url}/api/v4/projects/17/statuses/${SHA}`, {
          method: "POST",
          headers: { "private-token": TOKEN, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const missing = await post({ name: "x" });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ error: "state is missing, state does not have a valid value" });
      expect((await post({ state: "failure" })).status).toBe(400);
      expect((await post({ state: "failed" })).status).toBe(201);
    } finally {
      await gitlab.close();
    }
  });
});
