import { describe, expect, it } from "vitest";
import type { CommitKindReport, CommitReport } from "../sdk/reports.ts";
import type { Comparison } from "../shared/reports.api.ts";
import { evaluateGates, type GateSpec, gatesOfEnvironment, kindsNeedingComparison, renderVerdicts } from "./gates.ts";

const SHA = "abc1234def5678";

function kind(name: string, overrides: Partial<CommitKindReport> = {}): CommitKindReport {
  return {
    kind: name,
    runs: [`run_${name}`],
    tests: { total: 10, passed: 10, failed: 0, errored: 0, skipped: 0, flaky: 0 },
    failing: [],
    flaky: [],
    coverage: { lines: 82.5, branches: 61, runId: `run_${name}` },
    patchCoverage: { pct: 90, runId: `run_${name}` },
    ...overrides,
  };
}

const report = (...kinds: CommitKindReport[]): CommitReport => ({ commitSha: SHA, runs: [], kinds });
const noComparisons = new Map<string, Comparison | null>();
const judge = (gate: GateSpec, commit: CommitReport, comparisons = noComparisons) => {
  const [verdict] = evaluateGates([gate], { report: commit, comparisons });
  if (!verdict) throw new Error("no verdict");
  return verdict;
};

describe("evaluateGates", () => {
  it("tests_pass fails on a failing test, and on a kind with no report at all", () => {
    expect(judge({ type: "tests_pass" }, report(kind("unit")))).toEqual({
      type: "tests_pass",
      passed: true,
      message: "unit tests pass on abc1234",
    });
    expect(judge({ type: "tests_pass" }, report(kind("unit", { failing: ["cart › adds"] })))).toMatchObject({
      passed: false,
      message: "1 unit test(s) fail on abc1234: cart › adds",
    });
    expect(judge({ type: "tests_pass" }, report(kind("e2e")))).toMatchObject({
      passed: false,
      message: "no unit report for commit abc1234",
    });
    expect(judge({ type: "tests_pass", kinds: ["unit", "e2e"] }, report(kind("unit")))).toMatchObject({
      passed: false,
      message: "no e2e report for commit abc1234",
    });
  });

  it("coverage_min compares lines and branches percentages, at the threshold passing", () => {
    const commit = report(kind("unit"));

    expect(judge({ type: "coverage_min", lines: 82.5 }, commit)).toMatchObject({
      passed: true,
      message: "unit coverage of abc1234: lines 82.5% (needs lines ≥ 82.5%)",
    });
    expect(judge({ type: "coverage_min", lines: 80, branches: 70 }, commit)).toMatchObject({
      passed: false,
      message: "unit coverage of abc1234: lines 82.5%, branches 61% (needs lines ≥ 80%, branches ≥ 70%)",
    });
    expect(judge({ type: "coverage_min", lines: 10 }, report(kind("unit", { coverage: null })))).toMatchObject({
      passed: false,
      message: "no unit coverage report for commit abc1234",
    });
    expect(judge({ type: "coverage_min", lines: 10, kind: "integration" }, commit).passed).toBe(false);
  });

  it("patch_coverage_min passes when no coverable line changed", () => {
    expect(judge({ type: "patch_coverage_min", lines: 80 }, report(kind("unit"))).passed).toBe(true);
    expect(judge({ type: "patch_coverage_min", lines: 95 }, report(kind("unit"))).passed).toBe(false);
    expect(
      judge({ type: "patch_coverage_min", lines: 95 }, report(kind("unit", { patchCoverage: { pct: null, runId: "r" } }))),
    ).toMatchObject({
      passed: true,
      message: "unit patch coverage of abc1234: no coverable line changed (needs 95%)",
    });
    expect(judge({ type: "patch_coverage_min", lines: 1 }, report(kind("unit", { patchCoverage: null }))).message).toContain(
      "--base or --diff",
    );
  });

  it("no_new_failures uses the comparison with the base, and counts every failure as new without a base", () => {
    const commit = report(kind("unit", { failing: ["old flake", "fresh bug"] }));
    const withBase = new Map<string, Comparison | null>([
      [
        "unit",
        {
          base: { runId: "run_0", commitSha: "0000000", branch: "main" },
          newFailures: ["fresh bug"],
          fixed: [],
          added: 0,
          removed: 0,
          coverageDelta: null,
        },
      ],
    ]);
    const noBase = new Map<string, Comparison | null>([
      ["unit", { base: null, newFailures: [], fixed: [], added: 0, removed: 0, coverageDelta: null }],
    ]);

    expect(judge({ type: "no_new_failures" }, commit, withBase)).toMatchObject({
      passed: false,
      message: "1 new unit failure(s) on abc1234: fresh bug",
    });
    expect(judge({ type: "no_new_failures" }, commit, noBase)).toMatchObject({
      passed: false,
      message: "2 new unit failure(s) on abc1234: old flake; fresh bug",
    });
    expect(judge({ type: "no_new_failures" }, report(kind("unit")), noBase)).toMatchObject({
      passed: true,
      message: "no new unit failures on abc1234",
    });
    expect(judge({ type: "no_new_failures", kind: "e2e" }, commit, withBase).passed).toBe(false);
  });

  it("max_flaky allows up to count flaky tests", () => {
    const commit = report(kind("unit", { flaky: ["a", "b"] }));

    expect(judge({ type: "max_flaky", count: 2 }, commit)).toMatchObject({
      passed: true,
      message: "2 flaky unit test(s) on abc1234 (at most 2): a; b",
    });
    expect(judge({ type: "max_flaky", count: 1 }, commit).passed).toBe(false);
  });

  it("fails closed on a gate type this CLI does not know", () => {
    const gate = { type: "security_scan" } as unknown as GateSpec;

    expect(judge(gate, report(kind("unit")))).toMatchObject({
      passed: false,
      message: expect.stringContaining("upgrade stagegate"),
    });
  });
});

describe("gates from the project config", () => {
  const YAML = `project: shop
environments:
  - name: quant
    executor: { type: shell, config: { command: [echo] } }
  - name: live
    executor: { type: shell, config: { command: [echo] } }
    gates:
      - { type: tests_pass, kinds: [unit, e2e] }
      - type: coverage_min
        lines: 80
      - { type: no_new_failures, kind: e2e }
`;

  it("reads the gates: of the named environment, and none when it declares none", () => {
    expect(gatesOfEnvironment(YAML, "live")).toEqual([
      { type: "tests_pass", kinds: ["unit", "e2e"] },
      { type: "coverage_min", lines: 80 },
      { type: "no_new_failures", kind: "e2e" },
    ]);
    expect(gatesOfEnvironment(YAML, "quant")).toEqual([]);
  });

  it("names the environments there are when the one asked for is missing", () => {
    expect(() => gatesOfEnvironment(YAML, "prod")).toThrow('the project has no environment "prod" (it has: quant, live)');
  });

  it("lists the kinds whose comparison no_new_failures needs", () => {
    expect(kindsNeedingComparison(gatesOfEnvironment(YAML, "live"))).toEqual(["e2e"]);
    expect(kindsNeedingComparison([{ type: "no_new_failures" }, { type: "no_new_failures", kind: "unit" }])).toEqual(["unit"]);
  });

  it("renders each verdict with a mark and a headline", () => {
    const text = renderVerdicts("live", [
      { type: "tests_pass", passed: true, message: "unit tests pass on abc1234" },
      { type: "coverage_min", passed: false, message: "unit coverage of abc1234: lines 50% (needs lines ≥ 80%)" },
    ]);

    expect(text).toBe(
      "gates of live: 1 of 2 failed\n  ✓ tests_pass: unit tests pass on abc1234\n  ✗ coverage_min: unit coverage of abc1234: lines 50% (needs lines ≥ 80%)",
    );
    expect(renderVerdicts("quant", [])).toBe("gates of quant: none declared");
  });
});
