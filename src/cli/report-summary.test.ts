import { describe, expect, it } from "vitest";
import type { ReportRunDetail, TestCase } from "../shared/reports.api.ts";
import { firstLine, renderReportSummary } from "./report-summary.ts";

const failure = (name: string, message: string | null, stack: string | null = null): TestCase => ({
  key: `k-${name}`,
  suite: "cart",
  classname: "cart.spec",
  name,
  file: null,
  durationMs: 12,
  status: "failed",
  message,
  stack,
  reruns: 0,
});

const run: ReportRunDetail = {
  id: "run_1",
  project: "shop",
  commitSha: "3f2a9c1d4e5b",
  branch: "main",
  kind: "unit",
  baseSha: null,
  ci: null,
  status: "complete",
  files: [
    {
      name: "junit.xml",
      format: "junit",
      bytes: 900,
      cases: 6,
      coverageFiles: 0,
      warnings: ["testcase without a name at line 9"],
    },
    { name: "lcov.info", format: "lcov", bytes: 300, cases: 0, coverageFiles: 3, warnings: [] },
  ],
  summary: {
    tests: { total: 6, passed: 1, failed: 4, errored: 0, skipped: 1, flaky: 0 },
    durationMs: 1530,
    coverage: { lines: { covered: 161, total: 200, pct: 80.5 }, branches: { covered: 4, total: 8, pct: 50 }, files: 3 },
    patchCoverage: { covered: 9, total: 12, pct: 75 },
  },
  url: "/api/v1/report-runs/run_1",
  createdAt: "2026-11-25T10:00:00.000Z",
  completedAt: "2026-11-25T10:00:02.000Z",
  failures: [
    failure("adds an item", "expected 2\n  to be 3"),
    failure("removes", null, "\n  Error: boom\n    at x.ts:1"),
    failure("empties", null),
  ],
  flaky: [{ ...failure("sometimes", null), status: "flaky" }],
  slowest: [],
  comparison: {
    base: { runId: "run_0", commitSha: "0a1b2c3d4e", branch: "main" },
    newFailures: ["cart.spec › adds an item"],
    fixed: ["cart.spec › totals"],
    added: 2,
    removed: 0,
    coverageDelta: -0.4,
  },
};

describe("renderReportSummary", () => {
  it("prints counts, coverage, the comparison, failures with their first message line, and the link", () => {
    const text = renderReportSummary(run, { server: "http://ci.example.com:8080" });

    expect(text).toBe(`report run run_1: unit tests of 3f2a9c1 on main: 4 failing

Tests:     6 total: 1 passed, 4 failed, 0 errored, 1 skipped, 0 flaky
Duration:  2s
Coverage:  lines 80.5% (161/200), branches 50% (4/8) over 3 files
Patch:     75% of 12 changed coverable lines covered
Compared:  with 0a1b2c3 (main): 1 new failure, 1 fixed, 2 tests added, 0 removed, coverage -0.4 pts
Files:     junit.xml (junit, 6 tests), lcov.info (lcov, 3 source files)

Failures (4):
  ✗ cart.spec › adds an item
      expected 2
  ✗ cart.spec › removes
      Error: boom
  ✗ cart.spec › empties
  … and 1 more

Flaky (1):
  ~ cart.spec › sometimes

New failures (1):
  ! cart.spec › adds an item

Fixed (1):
  + cart.spec › totals

Warnings (1):
  ! junit.xml: testcase without a name at line 9

Report: http://ci.example.com:8080/api/v1/report-runs/run_1`);
  });

  it("shows at most 10 failures and names files the server rejected", () => {
    const many = Array.from({ length: 12 }, (_, i) => failure(`case ${i}`, "nope"));
    const text = renderReportSummary(
      { ...run, failures: many, flaky: [], comparison: null, files: [] },
      {
        server: "http://x",
        rejected: [{ name: "broken.xml", message: "broken.xml is not a valid junit report at line 3, column 7: unclosed tag" }],
      },
    );

    expect(text.match(/✗ cart\.spec › case/g)).toHaveLength(10);
    expect(text).toContain("  … and 2 more");
    expect(text).toContain("Compared:  no base run to compare with");
    expect(text).toContain(
      "Rejected files (1), not in this run:\n  ✗ broken.xml: broken.xml is not a valid junit report at line 3, column 7",
    );
  });

  it("lists the first 4 files and counts the rest", () => {
    const files = Array.from({ length: 6 }, (_, i) => ({
      name: `TEST-${i}.xml`,
      format: "junit",
      bytes: 1,
      cases: 1,
      coverageFiles: 0,
      warnings: [],
    }));

    expect(renderReportSummary({ ...run, files }, { server: "http://x" })).toMatch(
      /^Files: {5}TEST-0\.xml \(junit, 1 test\), TEST-1\.xml .*, TEST-3\.xml \(junit, 1 test\), and 2 more$/m,
    );
  });

  it("says when there is no coverage, no patch coverage and no tests", () => {
    const text = renderReportSummary(
      {
        ...run,
        failures: [],
        flaky: [],
        comparison: null,
        summary: {
          tests: { total: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 },
          durationMs: 0,
          coverage: null,
          patchCoverage: null,
        },
      },
      { server: "http://x" },
    );

    expect(text).toMatch(/^report run run_1: unit tests of 3f2a9c1 on main: no tests$/m);
    expect(text).toContain("Coverage:  none uploaded");
    expect(text).toContain("Patch:     none (pass --base or --diff)");
    expect(text).not.toContain("Failures");
  });

  it("takes the first non-blank line of the message, else of the stack, cut at 120 characters", () => {
    expect(firstLine({ message: "\n\n  first\nsecond", stack: "s" })).toBe("first");
    expect(firstLine({ message: null, stack: "trace" })).toBe("trace");
    expect(firstLine({ message: "", stack: null })).toBeUndefined();
    expect(firstLine({ message: "x".repeat(300), stack: null })).toHaveLength(120);
  });
});
