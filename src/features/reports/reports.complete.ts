import type { PatchDiff, Ratio, ReportSummary, TestCounts } from "../../shared/reports.api.ts";
import { mergeCoverage } from "./parsers/coverage/paths.ts";
import { toCoverageRow } from "./parsers/index.ts";
import type { FileCoverage } from "./parsers/parser.types.ts";
import type { CoverageRow } from "./reports.types.ts";

export function ratio(covered: number, total: number): Ratio {
  return { covered, total, pct: total === 0 ? null : Math.round((covered / total) * 10_000) / 100 };
}

function toFileCoverage(row: { path: string; lines_json: string; branches_json: string }): FileCoverage {
  const lines = JSON.parse(row.lines_json) as [number, number][];
  const branches = JSON.parse(row.branches_json) as [number, number, number][];
  return {
    path: row.path,
    lines: new Map(lines),
    branches: new Map(branches.map(([line, covered, total]) => [line, { covered, total }])),
  };
}

/**
 * Merges the rows of one repo-relative path (from several files of a run, or repeated in one file). Rows without line data
 * (coverage-summary.json) count only when no row of the path has line data; then the last one's line totals are kept.
 */
export function mergePath(
  path: string,
  rows: { lines_json: string; branches_json: string; lines_covered?: number; lines_total?: number }[],
): CoverageRow {
  let merged: FileCoverage | undefined;
  let totalsOnly: CoverageRow | undefined;
  for (const row of rows) {
    const file = { ...toFileCoverage({ path, ...row }), path };
    if (file.lines.size === 0 && file.branches.size === 0) {
      totalsOnly = {
        path,
        lines: [],
        branches: [],
        linesCovered: row.lines_covered ?? 0,
        linesTotal: row.lines_total ?? 0,
        branchesCovered: 0,
        branchesTotal: 0,
      };
      continue;
    }
    merged = merged ? mergeCoverage(merged, file) : file;
  }
  if (merged) return toCoverageRow(merged);
  return totalsOnly ?? toCoverageRow({ path, lines: new Map(), branches: new Map() });
}

/** Of the lines a change touched, how many are coverable and how many of those ran. Paths match by suffix. */
export function patchCoverage(coverage: CoverageRow[], diff: PatchDiff): Ratio | null {
  if (diff.length === 0) return null;
  let covered = 0;
  let total = 0;
  for (const changed of diff) {
    const path = changed.path.replace(/^\.?\//, "");
    const file = coverage.find((c) => c.path === path || c.path.endsWith(`/${path}`) || path.endsWith(`/${c.path}`));
    if (!file) continue;
    const hits = new Map(file.lines);
    for (const [start, end] of changed.ranges) {
      for (let line = start; line <= end; line++) {
        const count = hits.get(line);
        if (count === undefined) continue;
        total++;
        if (count > 0) covered++;
      }
    }
  }
  return ratio(covered, total);
}

export interface CoverageTotals {
  files: number;
  linesCovered: number;
  linesTotal: number;
  branchesCovered: number;
  branchesTotal: number;
}

export function summarise(input: {
  counts: { status: string; n: number; duration: number }[];
  coverage: CoverageTotals;
  patch: Ratio | null;
  duplicatesFlaky: number;
}): ReportSummary {
  const by = (status: string) => input.counts.find((c) => c.status === status)?.n ?? 0;
  const tests: TestCounts = {
    total: input.counts.reduce((n, c) => n + c.n, 0),
    passed: by("passed"),
    failed: by("failed"),
    errored: by("errored"),
    skipped: by("skipped"),
    flaky: by("flaky") + input.duplicatesFlaky,
  };
  const c = input.coverage;
  return {
    tests,
    durationMs: Math.round(input.counts.reduce((n, c) => n + c.duration, 0)),
    coverage:
      c.files === 0
        ? null
        : {
            lines: ratio(c.linesCovered, c.linesTotal),
            branches: c.branchesTotal > 0 ? ratio(c.branchesCovered, c.branchesTotal) : null,
            files: c.files,
          },
    patchCoverage: input.patch,
  };
}
