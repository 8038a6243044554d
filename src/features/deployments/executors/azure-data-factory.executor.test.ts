import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AdfFake, adfConfig, startAdfFake } from "../../../../test/fakes/azure-data-factory.fake.ts";
import { clearTokenCache } from "./azure-ad.token.ts";
import { type AzureDataFactoryConfig, azureDataFactoryExecutor as adf } from "./azure-data-factory.executor.ts";
import { validateConfig } from "./config.validation.ts";
import { executorContract, type FakeContext, fakeContext } from "./executor.contract.ts";
import { RetryableError, type StepOutcome, TerminalError } from "./executor.types.ts";
import { validateExecutorConfig } from "./registry.ts";

const PIPELINES = {
  transcripts: { statuses: ["Queued", "InProgress", "InProgress", "Succeeded"] as const },
  broken: {
    statuses: ["InProgress", "Failed"] as const,
    message: "Operation on target CopyTranscripts failed: Snowflake auth failed",
    failedActivities: [
      {
        name: "CopyTranscripts",
        type: "Copy",
        code: "2200",
        message: "Failure happened on 'Source' side. JWT token is invalid.",
      },
    ],
  },
  endless: { statuses: ["InProgress"] as const },
};

async function fake(): Promise<AdfFake> {
  return startAdfFake(
    Object.fromEntries(
      Object.entries(PIPELINES).map(([name, pipeline]) => [name, { ...pipeline, statuses: [...pipeline.statuses] }]),
    ),
  );
}

function prepared(config: Record<string, unknown>): AzureDataFactoryConfig {
  const checked = validateConfig(adf.configSchema, config, "config");
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.config as AzureDataFactoryConfig;
}

async function runToEnd(ctx: FakeContext<AzureDataFactoryConfig>): Promise<StepOutcome> {
  let outcome = await adf.start(ctx);
  while (outcome.status === "running") {
    if (outcome.externalId) ctx.externalId = outcome.externalId;
    outcome = (await adf.poll?.(ctx)) ?? outcome;
  }
  return outcome;
}

executorContract("azure-data-factory", async () => {
  const target = await fake();
  return {
    executor: adf,
    succeedingConfig: adfConfig(target),
    failingConfig: adfConfig(target, { pipeline: "broken" }),
    slowConfig: adfConfig(target, { pipeline: "endless" }),
    teardown: target.close,
  };
});

describe("azure-data-factory executor", () => {
  let target: AdfFake;
  beforeAll(async () => {
    target = await fake();
  });
  afterAll(() => target.close());
  beforeEach(() => clearTokenCache());

  it("gets a token, creates the run with the release as parameters and polls it to Succeeded", async () => {
    const ctx = fakeContext(prepared(adfConfig(target, { parameters: { partition: "2025-01" } })));
    const started = await adf.start(ctx);
    expect(started).toMatchObject({ status: "running", externalId: expect.any(String) });
    const run = target.runs.at(-1);
    expect(run?.runId).toBe(started.status === "running" ? started.externalId : "");
    expect(run?.parameters).toEqual({
      releaseVersion: "1.4.0",
      commitSha: ctx.release.commitSha,
      environment: "staging",
      partition: "2025-01",
    });
    if (started.status === "running") {
      expect(started.externalUrl).toContain(`/monitoring/pipelineruns/${run?.runId}`);
      ctx.externalId = started.externalId ?? null;
    }
    let outcome: StepOutcome = started;
    while (outcome.status === "running") outcome = (await adf.poll?.(ctx)) ?? outcome;
    expect(outcome).toMatchObject({ status: "succeeded" });
    expect(ctx.log.of("system")).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Queued"),
        expect.stringContaining("InProgress"),
        expect.stringContaining("Succeeded"),
      ]),
    );
    // Progress is logged on change: two InProgress polls give one line.
    expect(ctx.log.of("system").filter((line) => line.endsWith(": InProgress"))).toHaveLength(1);
    expect(target.tokensIssued).toBe(1);
  });

  it("logs the failed activities with their error codes when the run fails", async () => {
    const ctx = fakeContext(prepared(adfConfig(target, { pipeline: "broken" })));
    const outcome = await runToEnd(ctx);
    expect(outcome).toMatchObject({ status: "failed", message: expect.stringContaining("JWT token is invalid") });
    expect(ctx.log.of("system")).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Snowflake auth failed"),
        "activity \"CopyTranscripts\" (Copy) failed [2200]: Failure happened on 'Source' side. JWT token is invalid.",
      ]),
    );
  });

  it("ends errored (TerminalError) on refused credentials and on an unknown pipeline", async () => {
    const badSecret = fakeContext(prepared(adfConfig(target, { clientSecret: "wrong" })));
    await expect(adf.start(badSecret)).rejects.toThrow(/AADSTS7000215: Invalid client secret/);
    await expect(adf.start(badSecret)).rejects.toBeInstanceOf(TerminalError);
    const badToken = fakeContext(prepared(adfConfig(target, { token: "not-a-token" })));
    await expect(adf.start(badToken)).rejects.toThrow(/HTTP 401.*InvalidAuthenticationToken/);
    const missing = fakeContext(prepared(adfConfig(target, { pipeline: "nope" })));
    const error = await adf.start(missing).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TerminalError);
    expect(String(error)).toMatch(/HTTP 404.*PipelineNotFound: Pipeline 'nope' not found/);
    expect(target.runs.filter((run) => run.pipelineName === "nope")).toHaveLength(0);
  });

  it("rides out a 429 storm honouring Retry-After, creating exactly one run", async () => {
    const before = target.runs.length;
    const ctx = fakeContext(prepared(adfConfig(target)));
    target.server.throttle(3, { retryAfter: "0", body: { error: { code: "TooManyRequests", message: "throttled" } } });
    const outcome = await runToEnd(ctx);
    expect(outcome.status).toBe("succeeded");
    expect(target.runs.length - before).toBe(1);
    expect(ctx.log.of("system").filter((line) => /HTTP 429.*retrying in/.test(line)).length).toBe(3);
  });

  it("hands a long Retry-After on createRun to the runner instead of sleeping through it", async () => {
    const before = target.runs.length;
    const ctx = fakeContext(prepared(adfConfig(target, { token: "x" })));
    target.server.throttle(1, { retryAfter: "120" });
    const error = (await adf.start(ctx).catch((thrown: unknown) => thrown)) as RetryableError;
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.retryAfterMs).toBe(120_000);
    expect(target.runs.length).toBe(before);
  });

  it("keeps polling the same run while the API is unreachable, then finishes it", async () => {
    const ctx = fakeContext(prepared(adfConfig(target)));
    const started = await adf.start(ctx);
    ctx.externalId = started.status === "running" ? (started.externalId ?? null) : null;
    const runs = target.runs.length;
    target.server.setDown(true);
    const during = await adf.poll?.(ctx);
    expect(during).toMatchObject({ status: "running" });
    expect(ctx.log.of("system").at(-1)).toMatch(/could not read the run's state/);
    target.server.setDown(false);
    let outcome = during as StepOutcome;
    while (outcome.status === "running") outcome = (await adf.poll?.(ctx)) ?? outcome;
    expect(outcome.status).toBe("succeeded");
    expect(target.runs.length).toBe(runs);
  }, 30_000);

  it("cancels a run that outlives its timeout and ends errored", async () => {
    const ctx = fakeContext(prepared(adfConfig(target, { pipeline: "endless", timeout: "200ms" })));
    const started = await adf.start(ctx);
    ctx.externalId = started.status === "running" ? (started.externalId ?? null) : null;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const error = await adf.poll?.(ctx).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TerminalError);
    expect(String(error)).toMatch(/did not finish within the step's timeout of 200ms; asked the target to cancel/);
    expect(target.runs.find((run) => run.runId === ctx.externalId)?.cancelled).not.toBe("no");
  });

  it("cancel() cancels the remote run; a run cancelled at the target ends cancelled", async () => {
    const ctx = fakeContext(prepared(adfConfig(target, { pipeline: "endless" })));
    const started = await adf.start(ctx);
    ctx.externalId = started.status === "running" ? (started.externalId ?? null) : null;
    await adf.cancel?.(ctx);
    const cancelRequest = target.server.received.at(-1);
    expect(cancelRequest?.path).toMatch(/\/pipelineruns\/[^/]+\/cancel$/);
    expect(cancelRequest?.query.get("isRecursive")).toBe("true");
    let outcome = (await adf.poll?.(ctx)) as StepOutcome;
    expect(outcome).toMatchObject({ status: "running", message: "Canceling" });
    outcome = (await adf.poll?.(ctx)) as StepOutcome;
    expect(outcome).toMatchObject({ status: "cancelled" });
  });

  it("validates the config where stagegate.yaml declares it", () => {
    const checked = validateExecutorConfig(
      "azure-data-factory",
      { subscriptionId: "s", resourceGroup: "rg", factory: "bad_name!", pipeline: "p", managementUrl: "nope" },
      "environments[1].steps[0].config",
    );
    expect(checked.ok).toBe(false);
    const paths = checked.ok ? [] : checked.errors.map((error) => `${error.path}: ${error.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environments\[1\]\.steps\[0\]\.config\.factory: /),
        expect.stringMatching(/^environments\[1\]\.steps\[0\]\.config\.managementUrl: .*not an http/),
      ]),
    );
    const noAuth = validateExecutorConfig(
      "azure-data-factory",
      { subscriptionId: "s", resourceGroup: "rg", factory: "f-1", pipeline: "p" },
      "c",
    );
    expect(noAuth).toMatchObject({ ok: false, errors: [{ path: "c", message: expect.stringContaining("clientSecret") }] });
  });
});
