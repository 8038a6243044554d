import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitLabFake, gitlabConfig, startGitLabFake } from "../../../../test/fakes/gitlab.fake.ts";
import { validateConfig } from "./config.validation.ts";
import { executorContract, type FakeContext, fakeContext } from "./executor.contract.ts";
import { type StepOutcome, TerminalError } from "./executor.types.ts";
import { type GitLabConfig, gitlabExecutor as gitlab } from "./gitlab.executor.ts";

function prepared(config: Record<string, unknown>): GitLabConfig {
  const checked = validateConfig(gitlab.configSchema, config, "config");
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.config as GitLabConfig;
}

async function runToEnd(ctx: FakeContext<GitLabConfig>): Promise<StepOutcome> {
  let outcome = await gitlab.start(ctx);
  while (outcome.status === "running") {
    if (outcome.externalId) ctx.externalId = outcome.externalId;
    outcome = (await gitlab.poll?.(ctx)) ?? outcome;
  }
  return outcome;
}

executorContract("gitlab", async () => {
  const target = await startGitLabFake();
  return {
    executor: gitlab,
    succeedingConfig: gitlabConfig(target),
    failingConfig: gitlabConfig(target, { ref: "broken" }),
    slowConfig: gitlabConfig(target, { ref: "slow" }),
    teardown: target.close,
  };
});

describe("gitlab executor", () => {
  let target: GitLabFake;
  beforeAll(async () => {
    target = await startGitLabFake();
  });
  afterAll(() => target.close());

  it("creates the pipeline with filled-in variables and links it", async () => {
    const ctx = fakeContext(
      prepared(gitlabConfig(target, { variables: { RELEASE: "{{version}}", TARGET_ENV: "{{environment}}" } })),
    );
    const outcome = await runToEnd(ctx);
    expect(outcome.status).toBe("succeeded");
    expect(target.pipelines.at(-1)).toMatchObject({ ref: "main", variables: { RELEASE: "1.4.0", TARGET_ENV: "staging" } });
    expect(ctx.log.of("system")).toContain(
      `GitLab pipeline ${target.pipelines.at(-1)?.id}: ${target.url}/data/transcripts/-/pipelines/${target.pipelines.at(-1)?.id}`,
    );
  });

  it("names the failed jobs", async () => {
    const outcome = await runToEnd(fakeContext(prepared(gitlabConfig(target, { ref: "broken" }))));
    expect(outcome).toMatchObject({
      status: "failed",
      message: expect.stringContaining('job "integration" (stage test) failed: script_failure'),
    });
  });

  it("ends errored on a bad token or an unknown ref", async () => {
    await expect(gitlab.start(fakeContext(prepared(gitlabConfig(target, { token: "nope" }))))).rejects.toThrow(
      /HTTP 401.*401 Unauthorized/,
    );
    const error = await gitlab
      .start(fakeContext(prepared(gitlabConfig(target, { ref: "nope" }))))
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TerminalError);
    expect(String(error)).toContain("Reference not found");
  });

  it("retries 429 with Retry-After and cancels a canceled pipeline's step as cancelled", async () => {
    const before = target.pipelines.length;
    target.server.throttle(2, { retryAfter: "0", body: { message: "Retry later" } });
    const ctx = fakeContext(prepared(gitlabConfig(target, { ref: "slow" })));
    const started = await gitlab.start(ctx);
    expect(target.pipelines.length - before).toBe(1);
    ctx.externalId = started.status === "running" ? (started.externalId ?? null) : null;
    await gitlab.cancel?.(ctx);
    expect(await gitlab.poll?.(ctx)).toMatchObject({ status: "cancelled" });
  });
});
