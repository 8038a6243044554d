import { describe, expect, it } from "vitest";
import { detectCi } from "./ci-env.ts";

describe("detectCi", () => {
  it("reads GitHub Actions, linking the workflow run and preferring the PR head branch over <n>/merge", () => {
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_SHA: "3f2a9c1d4e5b6a7980",
      GITHUB_REF_NAME: "42/merge",
      GITHUB_HEAD_REF: "feature/cart",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: "acme/shop",
      GITHUB_RUN_ID: "123456",
      GITHUB_JOB: "test",
    };

    expect(detectCi(env)).toEqual({
      provider: "github-actions",
      commit: "3f2a9c1d4e5b6a7980",
      branch: "feature/cart",
      url: "https://github.com/acme/shop/actions/runs/123456",
      job: "test",
    });
    expect(detectCi({ ...env, GITHUB_HEAD_REF: "", GITHUB_REF_NAME: "main" })?.branch).toBe("main");
  });

  it("reads GitLab CI", () => {
    const env = {
      GITLAB_CI: "true",
      CI_COMMIT_SHA: "abcdef1234567",
      CI_COMMIT_REF_NAME: "main",
      CI_JOB_URL: "https://gitlab.com/acme/shop/-/jobs/99",
      CI_JOB_NAME: "unit",
    };

    expect(detectCi(env)).toEqual({
      provider: "gitlab",
      commit: "abcdef1234567",
      branch: "main",
      url: "https://gitlab.com/acme/shop/-/jobs/99",
      job: "unit",
    });
  });

  it("reads Jenkins, stripping origin/ from GIT_BRANCH", () => {
    const env = {
      JENKINS_URL: "https://ci.example.com/",
      GIT_COMMIT: "0123456789abcdef",
      GIT_BRANCH: "origin/release/2.1",
      BUILD_URL: "https://ci.example.com/job/shop/17/",
      JOB_NAME: "shop",
    };

    expect(detectCi(env)).toEqual({
      provider: "jenkins",
      commit: "0123456789abcdef",
      branch: "release/2.1",
      url: "https://ci.example.com/job/shop/17/",
      job: "shop",
    });
    expect(detectCi({ ...env, BRANCH_NAME: "PR-7" })?.branch).toBe("PR-7");
  });

  it("reads Azure Pipelines with the full branch name and a link to the build", () => {
    const env = {
      TF_BUILD: "True",
      BUILD_SOURCEVERSION: "fedcba9876543210",
      BUILD_SOURCEBRANCH: "refs/heads/feature/checkout",
      BUILD_SOURCEBRANCHNAME: "checkout",
      SYSTEM_COLLECTIONURI: "https://dev.azure.com/acme/",
      SYSTEM_TEAMPROJECT: "Shop Team",
      BUILD_BUILDID: "314",
      SYSTEM_JOBDISPLAYNAME: "Unit tests",
    };

    expect(detectCi(env)).toEqual({
      provider: "azure-pipelines",
      commit: "fedcba9876543210",
      branch: "feature/checkout",
      url: "https://dev.azure.com/acme/Shop%20Team/_build/results?buildId=314",
      job: "Unit tests",
    });
    const { BUILD_SOURCEBRANCH: _, ...withoutFullRef } = env;
    expect(detectCi(withoutFullRef)?.branch).toBe("checkout");
  });

  it("finds nothing outside CI, and ignores variables exported empty", () => {
    expect(detectCi({ HOME: "/home/me", PATH: "/usr/bin" })).toBeUndefined();
    expect(detectCi({ GITHUB_SHA: "", GITHUB_ACTIONS: "  " })).toBeUndefined();
  });

  it("leaves out what the provider does not tell", () => {
    expect(detectCi({ GITLAB_CI: "true", CI_COMMIT_SHA: "abcdef1" })).toEqual({ provider: "gitlab", commit: "abcdef1" });
  });
});
