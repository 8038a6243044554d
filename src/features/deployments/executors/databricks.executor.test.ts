import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DATABRICKS_CLIENT_ID,
  DATABRICKS_CLIENT_SECRET,
  type DatabricksFake,
  databricksConfig,
  startDatabricksFake,
} from "../../../../test/fakes/databricks.fake.ts";
import { clearTokenCache } from "./azure-ad.token.ts";
import { validateConfig } from "./config.validation.ts";
import { type DatabricksConfig, databricksExecutor as databricks, idempotencyToken } from "./databricks.executor.ts";
import { executorContract, type FakeContext, fakeContext } from "./executor.contract.ts";
import { type StepOutcome, TerminalError } from "./executor.types.ts";
import { validateExecutorConfig } from "./registry.ts";

const JOBS = {
  101: { runningPolls: 2, tasks: [{ key: "integration_tests", result: "SUCCESS" as const }] },
  102: {
    runningPolls: 1,
    tasks: [
      { key: "ingest", result: "SUCCESS" as const },
      {
        key: "integration_tests",
        result: "FAILED" as const,
        error: "AssertionError: 3 of 120 transcripts missing after load",
        trace:
          'Traceback (most recent call last):\n  File "itest.py", line 12, in <module>\nAssertionError: 3 of 120 transcripts missing',
      },
    ],
  },
  103: { runningPolls: Number.POSITIVE_INFINITY, tasks: [{ key: "forever", result: "SUCCESS" as const }] },
};

let deployments = 0;
/** A context of its own deployment: the idempotency token is per deployment step, so tests must not share one. */
function ctxOf(config: DatabricksConfig, id = `dep_db_${++deployments}`): FakeContext<DatabricksConfig> {
  return fakeContext(config, { deployment: { id, kind: "deploy", createdBy: null } });
}

function prepared(config: Record<string, unknown>): DatabricksConfig {
  const checked = validateConfig(databricks.configSchema, config, "config");
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.config as DatabricksConfig;
}

async function runToEnd(ctx: FakeContext<DatabricksConfig>): Promise<StepOutcome> {
  let outcome = await databricks.start(ctx);
  while (outcome.status === "running") {
    if (outcome.externalId) ctx.externalId = outcome.externalId;
    outcome = (await databricks.poll?.(ctx)) ?? outcome;
  }
  return outcome;
}

executorContract("databricks", async () => {
  const target = await startDatabricksFake(JOBS);
  return {
    executor: databricks,
    succeedingConfig: databricksConfig(target),
    failingConfig: databricksConfig(target, { jobId: 102 }),
    slowConfig: databricksConfig(target, { jobId: 103 }),
    teardown: target.close,
  };
});

describe("databricks executor", () => {
  let target: DatabricksFake;
  beforeAll(async () => {
    target = await startDatabricksFake(JOBS);
  });
  afterAll(() => target.close());
  beforeEach(() => clearTokenCache());

  it("runs the job with the release as job parameters and an idempotency token, linking the run page", async () => {
    const ctx = ctxOf(
      prepared(
        databricksConfig(target, { jobParameters: { sample: "true", stagegate_run: "{{run}}", token: "{{ingest_token}}" } }),
      ),
    );
    const started = await databricks.start(ctx);
    const run = target.runs.at(-1);
    expect(started).toMatchObject({
      status: "running",
      externalId: String(run?.runId),
      externalUrl: expect.stringContaining(`/run/${run?.runId}`),
    });
    expect(run?.jobParameters).toEqual({
      release_version: "1.4.0",
      commit_sha: ctx.release.commitSha,
      environment: "staging",
      sample: "true",
      // Where the job sends its logs: the deployment's run (ExecutionContext.run).
      stagegate_run: "run_01TEST",
      token: "sgr_test_token",
    });
    expect(run?.idempotencyToken).toBe(idempotencyToken(ctx));
    ctx.externalId = String(run?.runId);
    let outcome: StepOutcome = started;
    while (outcome.status === "running") outcome = (await databricks.poll?.(ctx)) ?? outcome;
    expect(outcome).toMatchObject({ status: "succeeded" });
    expect(ctx.log.of("system")).toEqual(expect.arrayContaining([expect.stringContaining("TERMINATED/SUCCESS")]));
  });

  it("starting the same step twice (a retry after a crash) returns the first run, not a second", async () => {
    const before = target.runs.length;
    const first = await databricks.start(ctxOf(prepared(databricksConfig(target)), "dep_same"));
    const again = await databricks.start(ctxOf(prepared(databricksConfig(target)), "dep_same"));
    expect(again).toMatchObject({ externalId: first.status === "running" ? first.externalId : "none" });
    expect(target.runs.length - before).toBe(1);
    expect(databricks.safeToRetry).toBe(true);
  });

  it("reports the failed task's error and trace from runs/get-output", async () => {
    const ctx = ctxOf(prepared(databricksConfig(target, { jobId: 102 })));
    const outcome = await runToEnd(ctx);
    expect(outcome).toMatchObject({
      status: "failed",
      message: expect.stringContaining("3 of 120 transcripts missing after load"),
    });
    expect(ctx.log.of("system")).toContain(
      "task integration_tests failed: AssertionError: 3 of 120 transcripts missing after load",
    );
    expect(ctx.log.of("stderr")).toContain('  File "itest.py", line 12, in <module>');
  });

  it("signs in with OAuth M2M when given a service principal", async () => {
    const ctx = ctxOf(
      prepared(
        databricksConfig(target, { token: undefined, clientId: DATABRICKS_CLIENT_ID, clientSecret: DATABRICKS_CLIENT_SECRET }),
      ),
    );
    expect((await runToEnd(ctx)).status).toBe("succeeded");
    expect(target.server.received.some((request) => request.path === "/oidc/v1/token")).toBe(true);
    const refused = ctxOf(
      prepared(databricksConfig(target, { token: undefined, clientId: DATABRICKS_CLIENT_ID, clientSecret: "wrong" })),
    );
    await expect(databricks.start(refused)).rejects.toThrow(/could not get an access token \(Client authentication failed\)/);
  });

  it("ends errored on a refused token or an unknown job", async () => {
    const badToken = ctxOf(prepared(databricksConfig(target, { token: "dapi-wrong" })));
    await expect(databricks.start(badToken)).rejects.toThrow(/HTTP 403.*PERMISSION_DENIED/);
    const error = await databricks
      .start(ctxOf(prepared(databricksConfig(target, { jobId: 999 }))))
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TerminalError);
    expect(String(error)).toContain("Job 999 does not exist.");
  });

  it("retries through 429s on run-now and ends with one run", async () => {
    const before = target.runs.length;
    target.server.throttle(2, { retryAfter: "0", body: { error_code: "REQUEST_LIMIT_EXCEEDED", message: "rate limit" } });
    const ctx = ctxOf(prepared(databricksConfig(target)));
    expect((await runToEnd(ctx)).status).toBe("succeeded");
    expect(target.runs.length - before).toBe(1);
  });

  it("cancels a run that outlives its timeout, and cancel() cancels at the target", async () => {
    const ctx = ctxOf(prepared(databricksConfig(target, { jobId: 103, timeout: "150ms" })));
    const started = await databricks.start(ctx);
    ctx.externalId = started.status === "running" ? (started.externalId ?? null) : null;
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(databricks.poll?.(ctx)).rejects.toThrow(/timeout of 150ms; asked the target to cancel/);
    expect(target.runs.at(-1)?.cancel).not.toBe("no");

    const other = ctxOf(prepared(databricksConfig(target, { jobId: 103 })));
    const run = await databricks.start(other);
    other.externalId = run.status === "running" ? (run.externalId ?? null) : null;
    await databricks.cancel?.(other);
    let outcome = (await databricks.poll?.(other)) as StepOutcome;
    while (outcome.status === "running") outcome = (await databricks.poll?.(other)) as StepOutcome;
    expect(outcome).toMatchObject({ status: "cancelled" });
  });

  it("validates the config: one way to sign in, a numeric job id", () => {
    const both = validateExecutorConfig(
      "databricks",
      { host: "https://x", jobId: 1, token: "t", clientId: "a", clientSecret: "b" },
      "s.config",
    );
    expect(both).toMatchObject({
      ok: false,
      errors: [{ path: "s.config", message: expect.stringContaining("exactly one way to sign in") }],
    });
    const badJob = validateExecutorConfig("databricks", { host: "https://x", jobId: "abc", token: "t" }, "s.config");
    expect(badJob).toMatchObject({ ok: false, errors: [{ path: "s.config.jobId" }] });
  });
});
