import { parse } from "yaml";
import type { CommitKindReport, CommitReport } from "../sdk/reports.ts";
import { assertNever } from "../shared/errors.ts";
import type { Comparison } from "../shared/reports.api.ts";
import { UsageError } from "./errors.ts";

/**
 * `--fail-on-gate <env>`: the environment's quality gates judged on the client, with the rules promote applies on the
 * server, so CI fails at upload time instead of at promotion. Gates are declared in stagegate.yaml (`gates:`).
 */
export type GateSpec =
  | { type: "tests_pass"; kinds?: string[] }
  | { type: "coverage_min"; lines?: number; branches?: number; kind?: string }
  | { type: "patch_coverage_min"; lines: number; kind?: string }
  | { type: "no_new_failures"; kind?: string }
  | { type: "max_flaky"; count: number; kind?: string };

export interface GateVerdict {
  type: string;
  passed: boolean;
  message: string;
}

export interface GateInput {
  report: CommitReport;
  /** Per kind, the comparison of its newest run with that run's base (for no_new_failures). */
  comparisons: ReadonlyMap<string, Comparison | null>;
}

const GATE_TYPES = ["tests_pass", "coverage_min", "patch_coverage_min", "no_new_failures", "max_flaky"];

/** The `gates:` of one environment in a stagegate.yaml, as the server stored and validated it. */
export function gatesOfEnvironment(yamlText: string, environment: string): GateSpec[] {
  const config: unknown = parse(yamlText);
  const environments = isRecord(config) && Array.isArray(config.environments) ? config.environments.filter(isRecord) : [];
  const env = environments.find((e) => e.name === environment);
  if (!env) {
    const names = environments.map((e) => String(e.name)).join(", ");
    throw new UsageError(`--fail-on-gate: the project has no environment "${environment}" (it has: ${names || "none"})`);
  }
  const gates = Array.isArray(env.gates) ? env.gates : [];
  // The server validated these against its schema when the config was applied, so only the type needs telling apart.
  return gates.filter(isRecord).map((gate) => gate as GateSpec);
}

export function evaluateGates(gates: readonly GateSpec[], input: GateInput): GateVerdict[] {
  return gates.map((gate) => judge(gate, input));
}

const pct = (value: number | null | undefined) => (value === null || value === undefined ? "none" : `${value}%`);
const verdict = (type: string, passed: boolean, message: string): GateVerdict => ({ type, passed, message });

function judge(gate: GateSpec, input: GateInput): GateVerdict {
  const short = input.report.commitSha.slice(0, 7);
  const of = (kind: string): CommitKindReport | undefined => input.report.kinds.find((k) => k.kind === kind);
  const missing = (kind: string) => verdict(gate.type, false, `no ${kind} report for commit ${short}`);
  if (!GATE_TYPES.includes(gate.type)) {
    return verdict(gate.type, false, `gate type "${gate.type}" is unknown to this CLI; upgrade stagegate to check it`);
  }
  switch (gate.type) {
    case "tests_pass": {
      const kinds = gate.kinds ?? ["unit"];
      for (const kind of kinds) {
        const report = of(kind);
        if (!report) return missing(kind);
        const failing = report.failing;
        if (failing.length > 0) {
          return verdict(
            gate.type,
            false,
            `${failing.length} ${kind} test(s) fail on ${short}: ${failing.slice(0, 5).join("; ")}`,
          );
        }
      }
      return verdict(gate.type, true, `${kinds.join(", ")} tests pass on ${short}`);
    }
    case "coverage_min": {
      const kind = gate.kind ?? "unit";
      const coverage = of(kind)?.coverage;
      const needs = [
        gate.lines === undefined ? "" : `lines ≥ ${gate.lines}%`,
        gate.branches === undefined ? "" : `branches ≥ ${gate.branches}%`,
      ]
        .filter(Boolean)
        .join(", ");
      if (!coverage) return verdict(gate.type, false, `no ${kind} coverage report for commit ${short}`);
      const passed =
        (gate.lines === undefined || (coverage.lines ?? 0) >= gate.lines) &&
        (gate.branches === undefined || (coverage.branches ?? 0) >= gate.branches);
      const actual = `lines ${pct(coverage.lines)}${gate.branches === undefined ? "" : `, branches ${pct(coverage.branches)}`}`;
      return verdict(gate.type, passed, `${kind} coverage of ${short}: ${actual} (needs ${needs})`);
    }
    case "patch_coverage_min": {
      const kind = gate.kind ?? "unit";
      const patch = of(kind)?.patchCoverage;
      if (!patch)
        return verdict(gate.type, false, `no ${kind} patch coverage for commit ${short} (upload with --base or --diff)`);
      // A change that touches no coverable line cannot lower coverage.
      const passed = patch.pct === null || patch.pct >= gate.lines;
      const actual = patch.pct === null ? "no coverable line changed" : pct(patch.pct);
      return verdict(gate.type, passed, `${kind} patch coverage of ${short}: ${actual} (needs ${gate.lines}%)`);
    }
    case "no_new_failures": {
      const kind = gate.kind ?? "unit";
      const report = of(kind);
      if (!report) return missing(kind);
      const comparison = input.comparisons.get(kind);
      // Without a base run to compare with, every failing test counts as new (as promote judges it).
      const newFailures = comparison?.base ? comparison.newFailures : report.failing;
      const message = newFailures.length
        ? `${newFailures.length} new ${kind} failure(s) on ${short}: ${newFailures.slice(0, 5).join("; ")}`
        : `no new ${kind} failures on ${short}`;
      return verdict(gate.type, newFailures.length === 0, message);
    }
    case "max_flaky": {
      const kind = gate.kind ?? "unit";
      const report = of(kind);
      if (!report) return missing(kind);
      const flaky = report.flaky;
      const names = flaky.length ? `: ${flaky.slice(0, 5).join("; ")}` : "";
      return verdict(
        gate.type,
        flaky.length <= gate.count,
        `${flaky.length} flaky ${kind} test(s) on ${short} (at most ${gate.count})${names}`,
      );
    }
    default:
      return assertNever(gate, "gate");
  }
}

/** Kinds whose newest run's comparison the no_new_failures gates need. */
export function kindsNeedingComparison(gates: readonly GateSpec[]): string[] {
  return [...new Set(gates.filter((g) => g.type === "no_new_failures").map((g) => g.kind ?? "unit"))];
}

export function renderVerdicts(environment: string, verdicts: readonly GateVerdict[]): string {
  if (verdicts.length === 0) return `gates of ${environment}: none declared`;
  const failed = verdicts.filter((v) => !v.passed).length;
  const head = failed
    ? `gates of ${environment}: ${failed} of ${verdicts.length} failed`
    : `gates of ${environment}: all ${verdicts.length} passed`;
  return [head, ...verdicts.map((v) => `  ${v.passed ? "✓" : "✗"} ${v.type}: ${v.message}`)].join("\n");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
