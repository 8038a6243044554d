import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../../test/helpers/recording-server.ts";
import {
  type CommitState,
  type CommitStatusConfig,
  PermanentDeliveryError,
  RetryableDeliveryError,
  type StatusRequest,
} from "./commit-status.types.ts";
import { githubClient } from "./github.client.ts";
import { retryAfterMs } from "./provider.http.ts";
import { type ProviderFake, startGithubFake } from "./providers.fake.ts";

const SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const TOKEN = "ghp_secret";

describe("GitHub commit status client", () => {
  let github: ProviderFake;
  let config: CommitStatusConfig;
  const request: StatusRequest = {
    sha: SHA,
    state: "failure",
    description: "212 passed, 3 failed · lines 84.2%",
    targetUrl: "https://stagegate.acme.test/api/v1/report-runs/run_1",
    context: "stagegate/unit",
    ref: "main",
  };

  beforeAll(async () => {
    github = await startGithubFake({ repository: "acme/shop", token: TOKEN, shas: [SHA] });
    config = { provider: "github", apiUrl: github.url, repository: "acme/shop", token: TOKEN };
  });
  afterEach(() => {
    github.requests.length = 0;
    github.statuses.length = 0;
  });
  afterAll(() => github.close());

  async function failure(promise: Promise<unknown>): Promise<Error> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Error)) throw new Error("expected the post to fail");
    return error;
  }

  it("sends exactly the documented request and accepts the 201", async () => {
    await githubClient.postStatus(config, request);
    expect(github.requests).toHaveLength(1);
    const [sent] = github.requests;
    expect(sent?.method).toBe("POST");
    expect(sent?.url).toBe(`/repos/acme/shop/statuses/${SHA}`);
    expect(sent?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      accept: "application/vnd.github+json",
      "x-github-api-version": "2022-11-28",
      "content-type": "application/json",
    });
    expect(JSON.parse(sent?.body ?? "")).toEqual({
      state: "failure",
      target_url: "https://stagegate.acme.test/api/v1/report-runs/run_1",
      description: "212 passed, 3 failed · lines 84.2%",
      context: "stagegate/unit",
    });
    expect(github.statuses[0]).toMatchObject({ state: "failure", context: "stagegate/unit" });
  });

  it("cuts a long description to the 140 characters GitHub accepts", async () => {
    await githubClient.postStatus(config, { ...request, description: "x".repeat(300) });
    expect(Array.from(String(github.statuses[0]?.description))).toHaveLength(140);
  });

  it("reports GitHub's validation errors as permanent, with the field's message", async () => {
    const error = await failure(githubClient.postStatus(config, { ...request, state: "broken" as CommitState }));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toContain("HTTP 422");
    expect(error.message).toContain("Validation Failed; state is not included in the list");
  });

  it("is refused for good with a bad token (401) or an unknown repository (404), and never names the token", async () => {
    const unauthorized = await failure(githubClient.postStatus({ ...config, token: "wrong" }, request));
    expect(unauthorized).toBeInstanceOf(PermanentDeliveryError);
    expect((unauthorized as PermanentDeliveryError).httpStatus).toBe(401);
    expect(unauthorized.message).toContain("Bad credentials");
    expect(unauthorized.message).not.toContain("wrong");
    const missing = await failure(githubClient.postStatus({ ...config, repository: "acme/gone" }, request));
    expect(missing).toBeInstanceOf(PermanentDeliveryError);
    expect((missing as PermanentDeliveryError).httpStatus).toBe(404);
  });

  it("refuses a repository that is not owner/repo without asking GitHub", async () => {
    const error = await failure(githubClient.postStatus({ ...config, repository: "acme" }, request));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(github.requests).toHaveLength(0);
  });

  it("retries a 429 after the Retry-After seconds", async () => {
    github.failNext(429, { headers: { "retry-after": "3" }, body: { message: "You have exceeded a secondary rate limit." } });
    const error = await failure(githubClient.postStatus(config, request));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect((error as RetryableDeliveryError).retryAfterMs).toBe(3000);
  });

  it("treats a 403 with no requests left as a rate limit, waiting until x-ratelimit-reset", async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    github.failNext(403, {
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: { message: "API rate limit exceeded for installation ID 1." },
    });
    const error = await failure(githubClient.postStatus(config, request));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    const wait = (error as RetryableDeliveryError).retryAfterMs ?? 0;
    expect(wait).toBeGreaterThan(110_000);
    expect(wait).toBeLessThanOrEqual(120_000);
  });

  it("retries server errors (502, 503) and keeps a 503's Retry-After", async () => {
    github.failNext(502);
    const bad = await failure(githubClient.postStatus(config, request));
    expect(bad).toBeInstanceOf(RetryableDeliveryError);
    expect((bad as RetryableDeliveryError).retryAfterMs).toBeUndefined();
    github.failNext(503, { headers: { "retry-after": "7" } });
    const unavailable = await failure(githubClient.postStatus(config, request));
    expect(unavailable).toBeInstanceOf(RetryableDeliveryError);
    expect((unavailable as RetryableDeliveryError).retryAfterMs).toBe(7000);
  });

  it("retries when nothing listens", async () => {
    const port = await closedPort();
    const error = await failure(githubClient.postStatus({ ...config, apiUrl: `http://127.0.0.1:${port}` }, request));
    expect(error).toBeInstanceOf(RetryableDeliveryError);
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("retries when GitHub does not answer in time", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const error = await failure(
        githubClient.postStatus({ ...config, apiUrl: `http://127.0.0.1:${port}` }, request, { timeoutMs: 100 }),
      );
      expect(error).toBeInstanceOf(RetryableDeliveryError);
      expect(error.message).toContain("timed out after 100ms");
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe("the GitHub fake", () => {
  it("answers a status without state with 422 Validation Failed, as GitHub does", async () => {
    const github = await startGithubFake({ repository: "acme/shop", token: TOKEN, shas: [SHA] });
    try {
      const response = await fetch(`${github.url}/repos/acme/shop/statuses/${SHA}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ description: "no state" }),
      });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ message: "Validation Failed", errors: [{ field: "state" }] });
    } finally {
      await github.close();
    }
  });
});

describe("Retry-After", () => {
  it("reads seconds, an HTTP date, and GitHub's rate limit reset", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "3" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 60) }), now)).toBe(
      60_000,
    );
    expect(retryAfterMs(new Headers({ "x-ratelimit-remaining": "12", "x-ratelimit-reset": String(now / 1000 + 60) }), now)).toBe(
      undefined,
    );
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
  });
});
