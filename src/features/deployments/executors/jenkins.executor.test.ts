import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JenkinsFake, jenkinsConfig, startJenkinsFake } from "../../../../test/fakes/jenkins.fake.ts";
import { validateConfig } from "./config.validation.ts";
import { executorContract, type FakeContext, fakeContext } from "./executor.contract.ts";
import { type StepOutcome, TerminalError } from "./executor.types.ts";
import { type JenkinsConfig, jenkinsExecutor as jenkins } from "./jenkins.executor.ts";

const JOBS = {
  "data/deploy-transcripts": {
    parameters: ["VERSION", "ENVIRONMENT"],
    queuedPolls: 1,
    buildingPolls: 2,
    result: "SUCCESS" as const,
    console: "ok\n",
  },
  "data/itests": {
    parameters: [],
    queuedPolls: 0,
    buildingPolls: 1,
    result: "UNSTABLE" as const,
    console: "Running 120 tests\nTests run: 120, Failures: 3\nFinished: UNSTABLE\n",
  },
  forever: { parameters: [], queuedPolls: 0, buildingPolls: Number.POSITIVE_INFINITY, result: "SUCCESS" as const, console: "" },
};

function prepared(config: Record<string, unknown>): JenkinsConfig {
  const checked = validateConfig(jenkins.configSchema, config, "config");
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.config as JenkinsConfig;
}

async function runToEnd(ctx: FakeContext<JenkinsConfig>): Promise<StepOutcome> {
  let outcome = await jenkins.start(ctx);
  while (outcome.status === "running") {
    if (outcome.externalId) ctx.externalId = outcome.externalId;
    outcome = (await jenkins.poll?.(ctx)) ?? outcome;
  }
  return outcome;
}

executorContract("jenkins", async () => {
  const target = await startJenkinsFake(JOBS);
  return {
    executor: jenkins,
    succeedingConfig: jenkinsConfig(target),
    failingConfig: jenkinsConfig(target, { job: "data/itests" }),
    slowConfig: jenkinsConfig(target, { job: "forever" }),
    teardown: target.close,
  };
});

describe("jenkins executor", () => {
  let target: JenkinsFake;
  beforeAll(async () => {
    target = await startJenkinsFake(JOBS);
  });
  afterAll(() => target.close());

  it("sends the crumb and parameters, follows the queue item to the build and links it", async () => {
    const ctx = fakeContext(
      prepared(jenkinsConfig(target, { parameters: { VERSION: "{{version}}", ENVIRONMENT: "{{environment}}" } })),
    );
    expect((await runToEnd(ctx)).status).toBe("succeeded");
    expect(target.builds.at(-1)).toMatchObject({ parameters: { VERSION: "1.4.0", ENVIRONMENT: "staging" }, number: 1 });
    expect(ctx.log.of("system")).toContain(`build #1 started: ${target.url}/job/data/job/deploy-transcripts/1/`);
  });

  it("fails an unstable build and logs the end of its console", async () => {
    const ctx = fakeContext(prepared(jenkinsConfig(target, { job: "data/itests" })));
    expect(await runToEnd(ctx)).toMatchObject({ status: "failed", message: expect.stringContaining("unstable") });
    expect(ctx.log.of("stdout")).toEqual(["Running 120 tests", "Tests run: 120, Failures: 3", "Finished: UNSTABLE"]);
  });

  it("ends errored on a wrong token, an unknown job or an undefined parameter", async () => {
    await expect(jenkins.start(fakeContext(prepared(jenkinsConfig(target, { token: "x" }))))).rejects.toThrow(/HTTP 401/);
    await expect(jenkins.start(fakeContext(prepared(jenkinsConfig(target, { job: "nope" }))))).rejects.toBeInstanceOf(
      TerminalError,
    );
    await expect(jenkins.start(fakeContext(prepared(jenkinsConfig(target, { parameters: { NOPE: "1" } }))))).rejects.toThrow(
      /does not have parameters NOPE/,
    );
  });

  it("cancels in the queue or stops the build; an aborted build ends cancelled", async () => {
    const ctx = fakeContext(prepared(jenkinsConfig(target, { job: "forever" })));
    const started = await jenkins.start(ctx);
    ctx.externalId = started.status === "running" ? (started.externalId ?? null) : null;
    const building = await jenkins.poll?.(ctx);
    expect(building).toMatchObject({ status: "running", externalId: expect.stringMatching(/^build:\d+$/) });
    ctx.externalId = building?.status === "running" ? (building.externalId ?? null) : null;
    await jenkins.cancel?.(ctx);
    expect(await jenkins.poll?.(ctx)).toMatchObject({ status: "cancelled" });

    const queued = fakeContext(prepared(jenkinsConfig(target)));
    const item = await jenkins.start(queued);
    queued.externalId = item.status === "running" ? (item.externalId ?? null) : null;
    await jenkins.cancel?.(queued);
    expect(await jenkins.poll?.(queued)).toMatchObject({ status: "cancelled" });
  });
});
