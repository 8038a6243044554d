import type { PatchDiff, Ratio, ReportSummary, TestCounts } from "../../shared/reports.api.ts";
import { mergeCoverage, normalisePaths } from "./parsers/coverage/paths.ts";
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
 * Merges the coverage of every file of a run per repo-relative path. Rows without line data (coverage-summary.json)
 * keep their totals unless line data for the same path exists.
 */
export function mergeRunCoverage(
  rows: { path: string; lines_json: string; branches_json: string; lines_covered?: number; lines_total?: number }[],
  options: { stripPrefix?: string },
): CoverageRow[] {
  const names = normalisePaths(
    rows.map((r) => r.path),
    options.stripPrefix ? { stripPrefix: options.stripPrefix } : {},
  );
  const merged = new Map<string, FileCoverage>();
  const totalsOnly = new Map<string, CoverageRow>();
  for (const row of rows) {
    const path = names.get(row.path) ?? row.path;
    const file = { ...toFileCoverage(row), path };
    if (file.lines.size === 0 && file.branches.size === 0) {
      totalsOnly.set(path, {
        path,
        lines: [],
        branches: [],
        linesCovered: row.lines_covered ?? 0,
        linesTotal: row.lines_total ?? 0,
        branchesCovered: 0,
        branchesTotal: 0,
      });
      continue;
    }
    const before = merged.get(path);
    merged.set(path, before ? mergeCoverage(before, file) : file);
  }
  const result = [...merged.values()].map(toCoverageRow);
  for (const [path, row] of totalsOnly) if (!merged.has(path)) result.push(row);
  return result.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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

export function summarise(input: {
  counts: { status: string; n: number; duration: number }[];
  coverage: CoverageRow[];
  diff: PatchDiff | null;
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
  const lines = input.coverage.reduce((acc, c) => ({ covered: acc.covered + c.linesCovered, total: acc.total + c.linesTotal }), {
    covered: 0,
    total: 0,
  });
  const branches = input.coverage.reduce(
    (acc, c) => ({ covered: acc.covered + c.branchesCovered, total: acc.total + c.branchesTotal }),
    { covered: 0, total: 0 },
  );
  return {
    tests,
    durationMs: Math.round(input.counts.reduce((n, c) => n + c.duration, 0)),
    coverage:
      input.coverage.length === 0
        ? null
        : {
            lines: ratio(lines.covered, lines.total),
            branches: branches.total > 0 ? ratio(branches.covered, branches.total) : null,
            files: input.coverage.length,
          },
    patchCoverage: input.diff ? patchCoverage(input.coverage, input.diff) : null,
  };
}
