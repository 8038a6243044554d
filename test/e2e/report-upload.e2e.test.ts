import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReportRunDetail } from "../../src/shared/reports.api.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { testDialects } from "../helpers/db.ts";
import { fixturesDir } from "../helpers/fixtures.ts";

const FIXTURES = fixturesDir("reports");
/** jest-junit: 2 suites, 6 cases: 4 failure, 1 skipped (fixtures MANIFEST). */
const JUNIT = join(FIXTURES, "junit-jest-junit.xml");
/** 3 source files; lib/run.js covers lines 17 and 18 but not 35. */
const LCOV = join(FIXTURES, "lcov-js-small.lcov");

const CONFIG = `project: shop
name: Shop
environments:
  - name: live
    executor: { type: shell, config: { command: ["sh", "-c", "echo live"] } }
    gates:
      - { type: tests_pass }
      - { type: coverage_min, lines: 50 }
`;

/** Closes <testsuite> where <testcase> is open, on line 4. */
const BROKEN = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="broken">
  <testsuite name="s" tests="1">
    <testcase classname="c" name="n"></testsuite>
</testsuites>
`;

/** Two lines covered and one not, in a file of the lcov fixture. */
const DIFF = `diff --git a/spec/fixtures/lcov/lib/run.js b/spec/fixtures/lcov/lib/run.js
--- a/spec/fixtures/lcov/lib/run.js
+++ b/spec/fixtures/lcov/lib/run.js
@@ -16,0 +17,2 @@
+  a();
+  b();
@@ -33,0 +35 @@
+  c();
`;

describe.each(testDialects())("stagegate report upload against a listening server on %s", (dialect) => {
  let t: TestApp;
  let server: string;
  let dir: string;
  let commit = 0;
  /** A new commit for each test, so runs of one test do not merge into the commit report of another. */
  const nextSha = () => `abc${(++commit).toString(16).padStart(4, "0")}def0123`;

  const cli = (...args: string[]): Promise<CliResult> => runCli(["--server", server, "--token", t.token, ...args]);

  beforeAll(async () => {
    t = await startTestApp(dialect);
    server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    dir = await mkdtemp(join(tmpdir(), "stagegate-report-e2e-"));
    await writeFile(join(dir, "broken.xml"), BROKEN);
    await writeFile(join(dir, "change.diff"), DIFF);
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      headers: { "content-type": "application/yaml" },
      payload: CONFIG,
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    // The suite may itself run in CI: its variables must not stand in for the flags.
    for (const name of [
      "GITHUB_ACTIONS",
      "GITHUB_SHA",
      "GITLAB_CI",
      "CI_COMMIT_SHA",
      "TF_BUILD",
      "BUILD_SOURCEVERSION",
      "JENKINS_URL",
      "GIT_COMMIT",
    ]) {
      vi.stubEnv(name, "");
    }
    return () => vi.unstubAllEnvs();
  });

  it("uploads JUnit and lcov, completes the run and prints its summary", async () => {
    const sha = nextSha();

    const { code, stdout, stderr } = await cli(
      "report",
      "upload",
      "-p",
      "shop",
      "--commit",
      sha,
      "--branch",
      "main",
      "--diff",
      join(dir, "change.diff"),
      JUNIT,
      LCOV,
    );

    expect(code, stderr).toBe(0);
    expect(stderr).toContain("uploaded");
    expect(stdout).toMatch(new RegExp(`^report run run_\\S+: unit tests of ${sha.slice(0, 7)} on main: 4 failing$`, "m"));
    expect(stdout).toMatch(/^Tests:\s+6 total: 1 passed, 4 failed, 0 errored, 1 skipped, 0 flaky$/m);
    expect(stdout).toMatch(/^Coverage:\s+lines \d+(\.\d+)?% \(\d+\/\d+\).* over 3 files$/m);
    expect(stdout).toMatch(/^Patch:\s+66\.67% of 3 changed coverable lines covered$/m);
    expect(stdout).toContain("Failures (4):");
    expect(stdout).toContain("  ✗ Test 1 › Test 1.1 › Failing test\n      Error: expect(received).toBeTruthy()");
    expect(stdout).toMatch(new RegExp(`^Report: ${server}/api/v1/report-runs/run_\\S+$`, "m"));
  });

  it("prints the run detail as JSON with -o json", async () => {
    const sha = nextSha();

    const { code, stdout, stderr } = await cli(
      "report",
      "upload",
      "-p",
      "shop",
      "--commit",
      sha,
      "--branch",
      "main",
      "-o",
      "json",
      JUNIT,
      LCOV,
    );

    expect(code, stderr).toBe(0);
    const detail = JSON.parse(stdout) as ReportRunDetail;
    expect(detail).toMatchObject({ commitSha: sha, branch: "main", kind: "unit", status: "complete" });
    expect(detail.summary?.tests).toMatchObject({ total: 6, failed: 4, skipped: 1 });
    expect(detail.files.map((f) => [f.name, f.format]).sort()).toEqual([
      ["junit-jest-junit.xml", "junit"],
      ["lcov-js-small.lcov", "lcov"],
    ]);
    expect(detail.failures).toHaveLength(4);
  });

  it("reports a broken file with its line, keeps the other files and exits 1", async () => {
    const sha = nextSha();

    const { code, stdout, stderr } = await cli(
      "report",
      "upload",
      "-p",
      "shop",
      "--commit",
      sha,
      "--branch",
      "main",
      JUNIT,
      join(dir, "broken.xml"),
      LCOV,
    );

    expect(code).toBe(1);
    expect(stderr).toMatch(/error: \S*broken\.xml was rejected: .*line 4\b.*\(invalid_report\)/);
    expect(stdout).toMatch(/^Tests:\s+6 total: 1 passed, 4 failed, 0 errored, 1 skipped, 0 flaky$/m);
    expect(stdout).toContain("Rejected files (1), not in this run:");
    const report = await t.request({ method: "GET", url: `/api/v1/projects/shop/commits/${sha}/report` });
    const [uploaded] = report.json<{ runs: ReportRunDetail[] }>().runs;
    expect(uploaded?.files.map((f) => f.name).sort()).toEqual(["junit-jest-junit.xml", "lcov-js-small.lcov"]);
  });

  it("judges the environment's gates with --fail-on-gate, exiting 1 while tests fail", async () => {
    const failing = await cli(
      "report",
      "upload",
      "-p",
      "shop",
      "--commit",
      nextSha(),
      "--branch",
      "main",
      "--fail-on-gate",
      "live",
      JUNIT,
      LCOV,
    );

    expect(failing.code, failing.stderr).toBe(1);
    expect(failing.stdout).toMatch(/^gates of live: 1 of 2 failed$/m);
    expect(failing.stdout).toMatch(/^ {2}✗ tests_pass: 4 unit test\(s\) fail on \w{7}: /m);
    expect(failing.stdout).toMatch(/^ {2}✓ coverage_min: unit coverage of \w{7}: lines [\d.]+% \(needs lines ≥ 50%\)$/m);

    // The same reports as integration tests leave no unit report at all: tests_pass fails closed.
    const sha = nextSha();
    const missing = await cli(
      "report",
      "upload",
      "-p",
      "shop",
      "--commit",
      sha,
      "--branch",
      "main",
      "--kind",
      "integration",
      "--fail-on-gate",
      "live",
      LCOV,
    );
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`✗ tests_pass: no unit report for commit ${sha.slice(0, 7)}`);
  });

  it("exits 3 for a project that does not exist, and 2 when no file matches", async () => {
    expect((await cli("report", "upload", "-p", "nope", "--commit", nextSha(), "--branch", "main", LCOV)).code).toBe(3);
    expect(
      (await cli("report", "upload", "-p", "shop", "--commit", nextSha(), "--branch", "main", join(dir, "*.trx"))).code,
    ).toBe(2);
  });
});
