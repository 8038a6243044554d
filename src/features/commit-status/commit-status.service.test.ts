import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import type { ReportSummary } from "../../shared/reports.api.ts";
import { type CompletedRun, describeSummary, statusFor } from "./commit-status.service.ts";
import { CommitStatusConfigSchema } from "./commit-status.types.ts";
import { truncate } from "./provider.http.ts";

const ratio = (covered: number, total: number, pct: number | null) => ({ covered, total, pct });

function summary(overrides: Partial<ReportSummary["tests"]> = {}, extra: Partial<ReportSummary> = {}): ReportSummary {
  return {
    tests: { total: 217, passed: 212, failed: 3, errored: 0, skipped: 0, flaky: 2, ...overrides },
    durationMs: 1234,
    coverage: { lines: ratio(842, 1000, 84.2), branches: null, files: 12 },
    patchCoverage: ratio(91, 100, 91),
    ...extra,
  };
}

function run(overrides: Partial<CompletedRun> = {}): CompletedRun {
  return {
    id: "run_1",
    project: "shop",
    commitSha: "a".repeat(40),
    branch: "main",
    kind: "unit",
    baseSha: null,
    ci: null,
    status: "complete",
    files: [],
    summary: summary(),
    url: "/api/v1/report-runs/run_1",
    createdAt: "2026-01-01T00:00:00.000Z",
    completedAt: "2026-01-01T00:01:00.000Z",
    ...overrides,
  };
}

describe("commit status of a report run", () => {
  it("is a failure with counts, line coverage and its delta, and patch coverage when tests failed", () => {
    expect(statusFor(run({ comparison: { coverageDelta: 0.4 } }))).toEqual({
      state: "failure",
      description: "212 passed, 3 failed, 2 flaky · lines 84.2% (+0.4) · patch 91%",
    });
  });

  it("is a failure when tests errored even if none failed", () => {
    expect(statusFor(run({ summary: summary({ failed: 0, errored: 1, flaky: 0 }) })).state).toBe("failure");
  });

  it("is a success when nothing failed or errored, naming skipped tests and a negative delta", () => {
    const result = statusFor(
      run({
        summary: summary({ failed: 0, flaky: 0, skipped: 4 }, { patchCoverage: null }),
        comparison: { coverageDelta: -1.25 },
      }),
    );
    expect(result).toEqual({ state: "success", description: "212 passed, 4 skipped · lines 84.2% (-1.3)" });
  });

  it("is an error when the run has no summary to judge", () => {
    expect(statusFor(run({ summary: null })).state).toBe("error");
  });

  it("leaves out coverage it does not have and a delta that rounds to zero", () => {
    expect(describeSummary(summary({ failed: 0, flaky: 0 }, { coverage: null, patchCoverage: null }))).toBe("212 passed");
    expect(describeSummary(summary({ failed: 0, flaky: 0 }, { patchCoverage: ratio(0, 0, null) }), 0.04)).toBe(
      "212 passed · lines 84.2%",
    );
    expect(describeSummary(summary({ total: 0, passed: 0, failed: 0, flaky: 0 }, { coverage: null, patchCoverage: null }))).toBe(
      "no tests",
    );
  });

  it("never rounds coverage up to 100%", () => {
    const almost = summary({}, { coverage: { lines: ratio(9996, 10000, 99.96), branches: null, files: 1 }, patchCoverage: null });
    expect(describeSummary(almost)).toContain("lines 99.9%");
  });

  it("cuts a description to 140 characters, ending in an ellipsis", () => {
    const huge = Number.MAX_SAFE_INTEGER;
    const text = describeSummary(summary({ passed: huge, failed: huge, errored: huge, flaky: huge, skipped: huge }));
    expect(Array.from(text)).toHaveLength(140);
    expect(text.endsWith("…")).toBe(true);
    expect(truncate("short", 140)).toBe("short");
    expect(truncate("αβγδε", 3)).toBe("αβ…");
  });
});

describe("commitStatus config schema", () => {
  it("accepts GitHub owner/repo and a GitLab project path or id", () => {
    expect(Value.Check(CommitStatusConfigSchema, { provider: "github", repository: "acme/shop", token: "t" })).toBe(true);
    expect(
      Value.Check(CommitStatusConfigSchema, {
        provider: "gitlab",
        apiUrl: "https://gitlab.acme.test/api/v4",
        repository: "data/ml/shop",
        token: "t",
        context: "ci/stagegate",
      }),
    ).toBe(true);
    expect(Value.Check(CommitStatusConfigSchema, { provider: "gitlab", repository: "42", token: "t" })).toBe(true);
  });

  it("rejects a GitHub repository that is not owner/repo, naming the problem", () => {
    const errors = Value.Errors(CommitStatusConfigSchema, { provider: "github", repository: "acme", token: "t" });
    expect(errors.map((error) => error.message)).toContain('repository "acme" is not owner/repo, which GitHub needs');
  });

  it("rejects unknown providers and keys, and a missing token", () => {
    expect(Value.Check(CommitStatusConfigSchema, { provider: "bitbucket", repository: "a/b", token: "t" })).toBe(false);
    expect(Value.Check(CommitStatusConfigSchema, { provider: "github", repository: "a/b", token: "t", extra: 1 })).toBe(false);
    expect(Value.Check(CommitStatusConfigSchema, { provider: "github", repository: "a/b" })).toBe(false);
  });
});
