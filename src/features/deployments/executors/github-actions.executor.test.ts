import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubFake, githubConfig, startGitHubFake } from "../../../../test/fakes/github-actions.fake.ts";
import { validateConfig } from "./config.validation.ts";
import { executorContract, type FakeContext, fakeContext } from "./executor.contract.ts";
import { type StepOutcome, TerminalError } from "./executor.types.ts";
import { type GitHubActionsConfig, githubActionsExecutor as github } from "./github-actions.executor.ts";

const WORKFLOWS = {
  "deploy.yml": { inputs: ["version", "environment"], inProgressPolls: 2, conclusion: "success" as const },
  "broken.yml": { inputs: [], inProgressPolls: 1, conclusion: "failure" as const, failedStep: "Run integration tests" },
  "forever.yml": { inputs: [], inProgressPolls: Number.POSITIVE_INFINITY, conclusion: "success" as const },
};

function prepared(config: Record<string, unknown>): GitHubActionsConfig {
  const checked = validateConfig(github.configSchema, config, "config");
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.config as GitHubActionsConfig;
}

async function runToEnd(ctx: FakeContext<GitHubActionsConfig>): Promise<StepOutcome> {
  let outcome = await github.start(ctx);
  while (outcome.status === "running") {
    if (outcome.externalId) ctx.externalId = outcome.externalId;
    outcome = (await github.poll?.(ctx)) ?? outcome;
  }
  return outcome;
}

executorContract("github-actions", async () => {
  const target = await startGitHubFake(WORKFLOWS);
  return {
    executor: github,
    succeedingConfig: githubConfig(target),
    failingConfig: githubConfig(target, { workflow: "broken.yml" }),
    slowConfig: githubConfig(target, { workflow: "forever.yml" }),
    teardown: target.close,
  };
});

describe("github-actions executor", () => {
  let target: GitHubFake;
  beforeAll(async () => {
    target = await startGitHubFake(WORKFLOWS);
  });
  afterAll(() => target.close());

  it("dispatches on the release branch with filled-in inputs and follows the returned run to success", async () => {
    const ctx = fakeContext(
      prepared(githubConfig(target, { inputs: { version: "{{version}}", environment: "{{environment}}" } })),
    );
    const started = await github.start(ctx);
    const run = target.runs.at(-1);
    expect(run).toMatchObject({ ref: "main", inputs: { version: "1.4.0", environment: "staging" } });
    expect(started).toMatchObject({
      status: "running",
      externalId: String(run?.id),
      externalUrl: `${target.url}/acme/transcripts/actions/runs/${run?.id}`,
    });
    ctx.externalId = String(run?.id);
    let outcome: StepOutcome = started;
    while (outcome.status === "running") outcome = (await github.poll?.(ctx)) ?? outcome;
    expect(outcome.status).toBe("succeeded");
    expect(ctx.log.of("system")).toEqual(
      expect.arrayContaining([expect.stringMatching(/in_progress$/), expect.stringMatching(/completed: success/)]),
    );
  });

  it("finds the run by listing when the server answers the dispatch with 204 (older GitHub Enterprise)", async () => {
    target.legacy = true;
    try {
      const ctx = fakeContext(prepared(githubConfig(target)));
      const outcome = await github.start(ctx);
      expect(outcome).toMatchObject({ status: "running", externalId: String(target.runs.at(-1)?.id) });
      expect(target.server.received.some((request) => request.path.endsWith("/workflows/deploy.yml/runs"))).toBe(true);
    } finally {
      target.legacy = false;
    }
  });

  it("names the failed job and step", async () => {
    const outcome = await runToEnd(fakeContext(prepared(githubConfig(target, { workflow: "broken.yml" }))));
    expect(outcome).toMatchObject({
      status: "failed",
      message: expect.stringContaining('job "deploy" failure at step "Run integration tests"'),
    });
  });

  it("ends errored on bad credentials, an unknown workflow and undeclared inputs", async () => {
    await expect(github.start(fakeContext(prepared(githubConfig(target, { token: "nope" }))))).rejects.toThrow(
      /HTTP 401.*Bad credentials/,
    );
    await expect(github.start(fakeContext(prepared(githubConfig(target, { workflow: "missing.yml" }))))).rejects.toBeInstanceOf(
      TerminalError,
    );
    await expect(github.start(fakeContext(prepared(githubConfig(target, { inputs: { sneaky: "1" } }))))).rejects.toThrow(
      /Unexpected inputs provided: \["sneaky"\]/,
    );
  });

  it("waits out an exhausted rate limit (403 + x-ratelimit-remaining: 0) and dispatches once", async () => {
    const before = target.runs.length;
    target.rateLimit(2);
    const ctx = fakeContext(prepared(githubConfig(target)));
    expect((await runToEnd(ctx)).status).toBe("succeeded");
    expect(target.runs.length - before).toBe(1);
    expect(ctx.log.of("system").filter((line) => line.includes("API rate limit exceeded"))).toHaveLength(2);
  });

  it("cancel() cancels the run, which then ends cancelled; a timed-out run is cancelled too", async () => {
    const ctx = fakeContext(prepared(githubConfig(target, { workflow: "forever.yml" })));
    const started = await github.start(ctx);
    ctx.externalId = started.status === "running" ? (started.externalId ?? null) : null;
    await github.cancel?.(ctx);
    expect(await github.poll?.(ctx)).toMatchObject({ status: "cancelled" });

    const slow = fakeContext(prepared(githubConfig(target, { workflow: "forever.yml", timeout: "1s" })));
    const run = await github.start(slow);
    slow.externalId = run.status === "running" ? (run.externalId ?? null) : null;
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expect(github.poll?.(slow)).rejects.toThrow(/timeout of 1s; asked the target to cancel/);
    expect(target.runs.at(-1)?.cancelled).toBe(true);
  });
});
