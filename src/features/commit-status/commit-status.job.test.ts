import { type Kysely, sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb, testDialects } from "../../../test/helpers/db.ts";
import type { Db } from "../../db/connect.ts";
import { up as migrateCommitStatus } from "../../db/migrations/0003_commit_status.ts";
import { JobRunner } from "../../jobs/job.runner.ts";
import type { Clock } from "../../shared/clock.ts";
import { createCommitStatusFeature } from "./commit-status.feature.ts";
import type { CompletedRun } from "./commit-status.service.ts";
import type { CommitStatusConfig, DeliveryRecord } from "./commit-status.types.ts";
import { type ProviderFake, startGithubFake, startGitlabFake } from "./providers.fake.ts";

const T0 = Date.parse("2026-03-01T12:00:00Z");
const TOKEN = "ghp_e2e";
const logger = pino({ level: "silent" });

/** Runs this feature's migration unless the core migrations already include it (once the lead wires it in). */
async function ensureCommitStatusTable(db: Db): Promise<void> {
  const applied = await sql<{ name: string }>`select name from kysely_migration where name = ${"0003_commit_status"}`.execute(
    db.kysely,
  );
  if (applied.rows.length === 0) await migrateCommitStatus(db.kysely as unknown as Kysely<unknown>);
}

function sha(n: number): string {
  return n.toString(16).padStart(40, "a");
}

describe.each(testDialects())("commit status delivery on %s", (dialect) => {
  let db: Db;
  let now = T0;
  const clock: Clock = { now: () => new Date(now) };
  let github: ProviderFake;
  let gitlab: ProviderFake;
  let runner: JobRunner;
  const configs = new Map<string, CommitStatusConfig>();
  let feature: ReturnType<typeof createCommitStatusFeature>;
  let runs = 0;

  function startRunner(): JobRunner {
    const jobs = new JobRunner({
      db: db.kysely,
      capabilities: db.capabilities,
      clock,
      logger,
      pollMs: 10,
      leaseMs: 60_000,
      concurrency: 2,
    });
    feature = createCommitStatusFeature({
      db: db.kysely,
      clock,
      logger,
      enqueue: jobs.enqueue.bind(jobs),
      publicUrl: "https://stagegate.acme.test/",
      configFor: async (projectId) => configs.get(projectId) ?? null,
      policy: { maxAttempts: 3 },
    });
    for (const [type, handler] of Object.entries(feature.jobs)) jobs.register(type, handler);
    jobs.start();
    return jobs;
  }

  async function project(id: string, config: CommitStatusConfig | null): Promise<void> {
    const at = new Date(T0).toISOString();
    await db.kysely
      .insertInto("projects")
      .values({ id, slug: id, name: id, repo_url: null, config_source: null, config_json: null, created_at: at, updated_at: at })
      .execute();
    if (config) configs.set(id, config);
  }

  /** A stored, completed run of `projectId` with 3 failures, as the reports feature hands it over. */
  async function completedRun(projectId: string, overrides: Partial<CompletedRun> = {}): Promise<CompletedRun> {
    runs += 1;
    const id = `run_${dialect}_${runs}`;
    const at = new Date(now).toISOString();
    const commitSha = overrides.commitSha ?? sha(runs);
    await db.kysely
      .insertInto("report_runs")
      .values({
        id,
        project_id: projectId,
        commit_sha: commitSha,
        branch: "main",
        kind: "unit",
        base_sha: null,
        ci_json: null,
        diff_json: null,
        status: "complete",
        summary_json: null,
        created_by: null,
        created_at: at,
        completed_at: at,
      })
      .execute();
    return {
      id,
      projectId,
      project: projectId,
      commitSha,
      branch: "main",
      kind: "unit",
      baseSha: null,
      ci: null,
      status: "complete",
      files: [],
      summary: {
        tests: { total: 215, passed: 212, failed: 3, errored: 0, skipped: 0, flaky: 0 },
        durationMs: 1000,
        coverage: { lines: { covered: 842, total: 1000, pct: 84.2 }, branches: null, files: 3 },
        patchCoverage: null,
      },
      url: `/api/v1/report-runs/${id}`,
      createdAt: at,
      completedAt: at,
      ...overrides,
    };
  }

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function deliveryOf(runId: string): Promise<DeliveryRecord | undefined> {
    return (await feature.service.deliveries(runId))[0];
  }

  const pendingJobs = (key: string) => db.kysely.selectFrom("jobs").select(["run_at", "status"]).where("key", "=", key).execute();

  beforeAll(async () => {
    db = await testDb(dialect);
    await ensureCommitStatusTable(db);
    github = await startGithubFake({ repository: "acme/shop", token: TOKEN, shas: Array.from({ length: 50 }, (_, i) => sha(i)) });
    gitlab = await startGitlabFake({
      projectId: 7,
      path: "data/shop",
      token: "glpat",
      shas: Array.from({ length: 50 }, (_, i) => sha(i)),
    });
    await project("prj_github", { provider: "github", apiUrl: github.url, repository: "acme/shop", token: TOKEN });
    await project("prj_gitlab", { provider: "gitlab", apiUrl: `${gitlab.url}/api/v4`, repository: "data/shop", token: "glpat" });
    await project("prj_gone", { provider: "github", apiUrl: github.url, repository: "acme/gone", token: TOKEN });
    await project("prj_silent", null);
    runner = startRunner();
  });
  afterAll(async () => {
    await runner.stop();
    await github.close();
    await gitlab.close();
    await db.close();
  });

  it("posts the status of a completed run to GitHub and records it delivered", async () => {
    const run = await completedRun("prj_github");
    await feature.onRunCompleted(run);
    // The runner removes the job just after the handler records the delivery: wait for both.
    await until(
      "delivered",
      async () =>
        (await deliveryOf(run.id))?.status === "delivered" && (await pendingJobs(`commit_status:${run.id}`)).length === 0,
    );
    expect(github.statuses.at(-1)).toMatchObject({
      state: "failure",
      description: "212 passed, 3 failed · lines 84.2%",
      target_url: `https://stagegate.acme.test/api/v1/report-runs/${run.id}`,
      context: "stagegate/unit",
    });
    expect(await deliveryOf(run.id)).toMatchObject({
      projectId: "prj_github",
      provider: "github",
      sha: run.commitSha,
      state: "failure",
      attempts: 1,
      lastError: null,
    });
    expect(await pendingJobs(`commit_status:${run.id}`)).toEqual([]);
  });

  it("retries after a 502 with backoff, across a restart, and then delivers", async () => {
    github.failNext(502, { body: { message: "Server Error" } });
    const before = github.requests.length;
    const run = await completedRun("prj_github");
    await feature.onRunCompleted(run);
    await until("the first attempt failed", async () => (await deliveryOf(run.id))?.attempts === 1);
    const failed = await deliveryOf(run.id);
    expect(failed).toMatchObject({ status: "pending", attempts: 1 });
    expect(failed?.lastError).toContain("HTTP 502");
    await until("rescheduled", async () => (await pendingJobs(`commit_status:${run.id}`))[0]?.status === "pending");
    expect((await pendingJobs(`commit_status:${run.id}`))[0]?.run_at).toBe(new Date(now + 15_000).toISOString());

    // The process goes away; the job is in the database and a new process picks it up when it is due.
    await runner.stop();
    runner = startRunner();
    now += 15_000;
    runner.wake();
    await until("delivered", async () => (await deliveryOf(run.id))?.status === "delivered");
    expect(await deliveryOf(run.id)).toMatchObject({ status: "delivered", attempts: 2, lastError: null });
    expect(github.requests.length - before).toBe(2);
  });

  it("gives up at once on a 404 and records the delivery as failed", async () => {
    const before = github.requests.length;
    const run = await completedRun("prj_gone");
    await feature.onRunCompleted(run);
    // The handler records the failure before the runner closes the job: wait for both, as the delivered case does.
    await until(
      "failed and the job closed",
      async () => (await deliveryOf(run.id))?.status === "failed" && (await pendingJobs(`commit_status:${run.id}`)).length === 0,
    );
    const delivery = await deliveryOf(run.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1 });
    expect(delivery?.lastError).toContain("HTTP 404");
    expect(github.requests.length - before).toBe(1);
  });

  it("gives up after the last allowed attempt", async () => {
    for (let i = 0; i < 3; i++) github.failNext(503);
    const run = await completedRun("prj_github");
    await feature.onRunCompleted(run);
    for (const attempts of [1, 2]) {
      await until(`attempt ${attempts}`, async () => (await deliveryOf(run.id))?.attempts === attempts);
      await until("rescheduled", async () => (await pendingJobs(`commit_status:${run.id}`))[0]?.status === "pending");
      now += 60_000;
      runner.wake();
    }
    await until("failed", async () => (await deliveryOf(run.id))?.status === "failed");
    const delivery = await deliveryOf(run.id);
    expect(delivery).toMatchObject({ attempts: 3 });
    expect(delivery?.lastError).toMatch(/^gave up after 3 attempts: GitHub answered HTTP 503/);
  });

  it("posts to GitLab with GitLab's state names", async () => {
    const run = await completedRun("prj_gitlab", { summary: null });
    await feature.onRunCompleted(run);
    await until("delivered", async () => (await deliveryOf(run.id))?.status === "delivered");
    expect(gitlab.statuses.at(-1)).toMatchObject({ status: "failed", name: "stagegate/unit", ref: "main", sha: run.commitSha });
    expect(await deliveryOf(run.id)).toMatchObject({ provider: "gitlab", state: "error" });
  });

  it("queues nothing for a project without commitStatus", async () => {
    const run = await completedRun("prj_silent");
    await feature.onRunCompleted(run);
    expect(await feature.service.deliveries(run.id)).toEqual([]);
    expect(await pendingJobs(`commit_status:${run.id}`)).toEqual([]);
  });

  it("never throws to the uploader, even when the config lookup fails", async () => {
    const run = await completedRun("prj_github");
    const broken = createCommitStatusFeature({
      db: db.kysely,
      clock,
      logger,
      enqueue: runner.enqueue.bind(runner),
      publicUrl: "https://stagegate.acme.test",
      configFor: async () => {
        throw new Error("database is down");
      },
    });
    await expect(broken.onRunCompleted(run)).resolves.toBeUndefined();
    expect(await feature.service.deliveries(run.id)).toEqual([]);
  });

  it("finds the project by slug when the run does not carry its id", async () => {
    const run = await completedRun("prj_github");
    const bySlug = createCommitStatusFeature({
      db: db.kysely,
      clock,
      logger,
      enqueue: runner.enqueue.bind(runner),
      publicUrl: "https://stagegate.acme.test",
      configFor: async (projectId) => configs.get(projectId) ?? null,
      projectIdOf: async (slug) => slug,
    });
    const { projectId: _, ...withoutId } = run;
    await bySlug.onRunCompleted(withoutId);
    await until("delivered", async () => (await deliveryOf(run.id))?.status === "delivered");
  });
});
