import { formatDuration } from "../shared/duration.ts";
import type { Comparison, Ratio, ReportRunDetail, ReportSummary, TestCase } from "../shared/reports.api.ts";
import { formatFields } from "./output.ts";

const SHOWN_FAILURES = 10;
const SHOWN_NAMES = 5;
const SHOWN_FILES = 4;
const LINE_WIDTH = 120;

export interface RejectedFile {
  name: string;
  message: string;
}

/** The one-screen summary `report upload` prints: counts, coverage, comparison with the base, failures, the link. */
export function renderReportSummary(
  run: ReportRunDetail,
  options: { server: string; rejected?: readonly RejectedFile[] },
): string {
  const summary = run.summary;
  const blocks = [
    `report run ${run.id}: ${run.kind} tests of ${run.commitSha.slice(0, 7)} on ${run.branch}: ${verdict(summary)}`,
    formatFields([
      ["Tests", summary ? testLine(summary) : "none (the run is not complete)"],
      ["Duration", summary ? formatDuration(summary.durationMs) : null],
      ["Coverage", summary?.coverage ? coverageLine(summary.coverage) : "none uploaded"],
      ["Patch", summary?.patchCoverage ? patchLine(summary.patchCoverage) : "none (pass --base or --diff)"],
      ["Compared", comparisonLine(run.comparison)],
      ["Files", filesLine(run.files)],
    ]),
    failuresBlock(run.failures, summary ? summary.tests.failed + summary.tests.errored : run.failures.length),
    namesBlock("Flaky", "~", run.flaky.map(label)),
    namesBlock("New failures", "!", run.comparison?.base ? run.comparison.newFailures : []),
    namesBlock("Fixed", "+", run.comparison?.fixed ?? []),
    warningsBlock(run),
    rejectedBlock(options.rejected ?? []),
    `Report: ${options.server}${run.url}`,
  ];
  return blocks.filter((block) => block !== "").join("\n\n");
}

function verdict(summary: ReportSummary | null): string {
  if (!summary) return "not complete";
  const failing = summary.tests.failed + summary.tests.errored;
  if (failing > 0) return `${failing} failing`;
  return summary.tests.total === 0 ? "no tests" : "all passed";
}

function testLine(summary: ReportSummary): string {
  const t = summary.tests;
  return `${t.total} total: ${t.passed} passed, ${t.failed} failed, ${t.errored} errored, ${t.skipped} skipped, ${t.flaky} flaky`;
}

function ratioText(ratio: Ratio): string {
  return ratio.pct === null ? "n/a" : `${ratio.pct}% (${ratio.covered}/${ratio.total})`;
}

function coverageLine(coverage: NonNullable<ReportSummary["coverage"]>): string {
  const branches = coverage.branches ? `, branches ${ratioText(coverage.branches)}` : "";
  return `lines ${ratioText(coverage.lines)}${branches} over ${coverage.files} file${coverage.files === 1 ? "" : "s"}`;
}

function patchLine(patch: Ratio): string {
  return patch.pct === null ? "no coverable line changed" : `${patch.pct}% of ${patch.total} changed coverable lines covered`;
}

function comparisonLine(comparison: Comparison | null): string {
  if (!comparison?.base) return "no base run to compare with";
  const base = `${comparison.base.commitSha.slice(0, 7)} (${comparison.base.branch})`;
  const delta = comparison.coverageDelta === null ? "" : `, coverage ${signed(comparison.coverageDelta)} pts`;
  const tests =
    comparison.added || comparison.removed ? `, ${plural(comparison.added, "test")} added, ${comparison.removed} removed` : "";
  return `with ${base}: ${plural(comparison.newFailures.length, "new failure")}, ${comparison.fixed.length} fixed${tests}${delta}`;
}

function filesLine(files: ReportRunDetail["files"]): string {
  const shown = files
    .slice(0, SHOWN_FILES)
    .map((f) => `${f.name} (${f.format}, ${f.cases ? plural(f.cases, "test") : plural(f.coverageFiles, "source file")})`);
  if (files.length > SHOWN_FILES) shown.push(`and ${files.length - SHOWN_FILES} more`);
  return shown.join(", ");
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : value === 0 ? "±0" : String(value);
}

export function label(test: Pick<TestCase, "classname" | "name">): string {
  return test.classname ? `${test.classname} › ${test.name}` : test.name;
}

/** The first non-blank line of the failure message, else of the stack trace, cut to fit a terminal line. */
export function firstLine(test: Pick<TestCase, "message" | "stack">): string | undefined {
  for (const text of [test.message, test.stack]) {
    const line = text
      ?.split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "");
    if (line) return line.length > LINE_WIDTH ? `${line.slice(0, LINE_WIDTH - 1)}…` : line;
  }
  return undefined;
}

function failuresBlock(failures: readonly TestCase[], total: number): string {
  if (failures.length === 0) return "";
  const lines = failures.slice(0, SHOWN_FAILURES).flatMap((test) => {
    const why = firstLine(test);
    return why ? [`  ✗ ${label(test)}`, `      ${why}`] : [`  ✗ ${label(test)}`];
  });
  const more = Math.max(total, failures.length) - Math.min(failures.length, SHOWN_FAILURES);
  if (more > 0) lines.push(`  … and ${more} more`);
  return [`Failures (${Math.max(total, failures.length)}):`, ...lines].join("\n");
}

function namesBlock(title: string, mark: string, names: readonly string[]): string {
  if (names.length === 0) return "";
  const lines = names.slice(0, SHOWN_NAMES).map((name) => `  ${mark} ${name}`);
  if (names.length > SHOWN_NAMES) lines.push(`  … and ${names.length - SHOWN_NAMES} more`);
  return [`${title} (${names.length}):`, ...lines].join("\n");
}

function warningsBlock(run: ReportRunDetail): string {
  const warnings = run.files.flatMap((f) => f.warnings.map((w) => `${f.name}: ${w}`));
  return namesBlock("Warnings", "!", warnings);
}

function rejectedBlock(rejected: readonly RejectedFile[]): string {
  if (rejected.length === 0) return "";
  return [`Rejected files (${rejected.length}), not in this run:`, ...rejected.map((r) => `  ✗ ${r.name}: ${r.message}`)].join(
    "\n",
  );
}
