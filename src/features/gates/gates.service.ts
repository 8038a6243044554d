import type { Kysely } from "kysely";
import type { Database, Queryable } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { assertNever } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import type { ReportQueries } from "../reports/reports.queries.ts";
import type { CommitKindVerdict, ReportViews } from "../reports/reports.views.ts";
import { type GateRecord, gateResultsOf, insertGateResult } from "./gates.store.ts";
import type { GateEvaluation, GateResult, GateSpec } from "./gates.types.ts";

const pct = (value: number | null | undefined) => (value == null ? "none" : `${value}%`);

/** Judges a release's commit against an environment's gates, from the commit's completed report runs. Fails closed. */
export function createGatesService(deps: {
  db: Kysely<Database>;
  views: ReportViews;
  queries: ReportQueries;
  clock: Clock;
  /** Run health from features/runs, for `run_healthy`; absent = that gate fails closed. */
  runHealth?: (input: { projectId: string; commitSha: string; environment?: string }) => Promise<{
    passed: boolean;
    actual: string;
    message: string;
    runIds: string[];
  }>;
}) {
  async function evaluate(input: { projectId: string; commitSha: string; gates: GateSpec[] }): Promise<GateEvaluation> {
    if (input.gates.length === 0) return { passed: true, results: [] };
    const verdicts = await deps.views.commit(input.projectId, input.commitSha);
    const short = input.commitSha.slice(0, 7);
    const results: GateResult[] = [];
    for (const gate of input.gates) {
      results.push(
        gate.type === "run_healthy"
          ? await runHealthy(gate, input.projectId, input.commitSha)
          : await judge(gate, verdicts, input.commitSha, short),
      );
    }
    return { passed: results.every((r) => r.passed), results };
  }

  async function runHealthy(
    gate: Extract<GateSpec, { type: "run_healthy" }>,
    projectId: string,
    commitSha: string,
  ): Promise<GateResult> {
    const expected = `the commit's run${gate.environment ? ` in ${gate.environment}` : "s"} succeeded with no critical alert`;
    const verdict = deps.runHealth
      ? await deps.runHealth({ projectId, commitSha, ...(gate.environment ? { environment: gate.environment } : {}) })
      : { passed: false, actual: "unknown", message: "run health is not available on this server", runIds: [] };
    return {
      type: gate.type,
      passed: verdict.passed,
      expected,
      actual: verdict.actual,
      message: verdict.message,
      evidence: {
        commitSha,
        runIds: verdict.runIds,
        url: verdict.runIds[0] ? `/api/v1/runs/${verdict.runIds[0]}/summary` : null,
      },
    };
  }

  async function judge(gate: GateSpec, verdicts: CommitKindVerdict[], commitSha: string, short: string): Promise<GateResult> {
    const of = (kind: string) => verdicts.find((v) => v.kind === kind);
    const result = (kind: string | null, fields: Omit<GateResult, "type" | "evidence">): GateResult => {
      const runIds = kind ? (of(kind)?.runs ?? []) : verdicts.flatMap((v) => v.runs);
      return {
        type: gate.type,
        ...fields,
        evidence: { commitSha, runIds, url: runIds[0] ? `/api/v1/report-runs/${runIds[0]}` : null },
      };
    };
    const missing = (kind: string, expected: string) =>
      result(kind, { passed: false, expected, actual: "no report", message: `no ${kind} report for commit ${short}` });
    switch (gate.type) {
      case "tests_pass": {
        const kinds = gate.kinds ?? ["unit"];
        for (const kind of kinds) {
          const v = of(kind);
          if (!v) return missing(kind, `${kinds.join(", ")} tests pass`);
          if (v.failing.length > 0) {
            return result(kind, {
              passed: false,
              expected: "0 failing tests",
              actual: `${v.failing.length} failing`,
              message: `${v.failing.length} ${kind} test(s) fail on ${short}: ${v.failing.slice(0, 5).join("; ")}`,
            });
          }
        }
        return result(null, {
          passed: true,
          expected: `${kinds.join(", ")} tests pass`,
          actual: "all pass",
          message: `${kinds.join(", ")} tests pass on ${short}`,
        });
      }
      case "coverage_min": {
        const kind = gate.kind ?? "unit";
        const expected = [
          gate.lines !== undefined ? `lines ≥ ${gate.lines}%` : "",
          gate.branches !== undefined ? `branches ≥ ${gate.branches}%` : "",
        ]
          .filter(Boolean)
          .join(", ");
        const coverage = of(kind)?.coverage;
        if (!coverage)
          return result(kind, {
            passed: false,
            expected,
            actual: "no coverage",
            message: `no ${kind} coverage report for commit ${short}`,
          });
        const linesOk = gate.lines === undefined || (coverage.lines ?? 0) >= gate.lines;
        const branchesOk = gate.branches === undefined || (coverage.branches ?? 0) >= gate.branches;
        const actual = `lines ${pct(coverage.lines)}${gate.branches !== undefined ? `, branches ${pct(coverage.branches)}` : ""}`;
        return result(kind, {
          passed: linesOk && branchesOk,
          expected,
          actual,
          message: `${kind} coverage of ${short}: ${actual} (needs ${expected})`,
        });
      }
      case "patch_coverage_min": {
        const kind = gate.kind ?? "unit";
        const patch = of(kind)?.patchCoverage;
        const expected = `patch lines ≥ ${gate.lines}%`;
        if (!patch)
          return result(kind, {
            passed: false,
            expected,
            actual: "no patch coverage",
            message: `no ${kind} patch coverage for commit ${short} (upload with --base or --diff)`,
          });
        // A change that touches no coverable line cannot lower coverage.
        const ok = patch.pct === null || patch.pct >= gate.lines;
        return result(kind, {
          passed: ok,
          expected,
          actual: pct(patch.pct),
          message: `${kind} patch coverage of ${short}: ${pct(patch.pct)} (needs ${gate.lines}%)`,
        });
      }
      case "no_new_failures": {
        const kind = gate.kind ?? "unit";
        const v = of(kind);
        if (!v) return missing(kind, "no new failures");
        const newFailures = await newFailuresOf(v, kind);
        return result(kind, {
          passed: newFailures.length === 0,
          expected: "no test failing that passed on the base",
          actual: `${newFailures.length} new failure(s)`,
          message: newFailures.length
            ? `new ${kind} failures on ${short}: ${newFailures.slice(0, 5).join("; ")}`
            : `no new ${kind} failures on ${short}`,
        });
      }
      case "max_flaky": {
        const kind = gate.kind ?? "unit";
        const v = of(kind);
        if (!v) return missing(kind, `≤ ${gate.count} flaky`);
        return result(kind, {
          passed: v.flaky.length <= gate.count,
          expected: `≤ ${gate.count} flaky`,
          actual: `${v.flaky.length} flaky`,
          message: `${v.flaky.length} flaky ${kind} test(s) on ${short}${v.flaky.length ? `: ${v.flaky.slice(0, 5).join("; ")}` : ""}`,
        });
      }
      case "run_healthy":
        throw new Error("run_healthy is judged by runHealthy(), which needs the project");
      default:
        return assertNever(gate, "gate");
    }
  }

  /** Failing tests of the commit that did not fail on the base run (the `--base` commit, else the latest on main). */
  async function newFailuresOf(v: CommitKindVerdict, kind: string): Promise<string[]> {
    const latestRunId = v.runs[0];
    if (!latestRunId) return v.failing;
    const comparison = await deps.queries.compare(await deps.queries.record(latestRunId));
    if (!comparison?.base) return v.failing;
    const baseVerdicts = await deps.views.commit(
      (await deps.queries.record(comparison.base.runId)).projectId,
      comparison.base.commitSha,
    );
    const failingBefore = new Set(baseVerdicts.find((b) => b.kind === kind)?.failing ?? []);
    return v.failing.filter((name) => !failingBefore.has(name));
  }

  async function record(db: Queryable, input: Omit<GateRecord, "id" | "createdAt">) {
    await insertGateResult(db, {
      ...input,
      id: newId("gat", deps.clock.now().getTime()),
      createdAt: deps.clock.now().toISOString(),
    });
  }

  return { evaluate, record, forDeployment: (deploymentId: string) => gateResultsOf(deps.db, deploymentId) };
}

export type GatesService = ReturnType<typeof createGatesService>;
