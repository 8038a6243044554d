import type { CoverageRow } from "../reports.types.ts";
import { parseCobertura } from "./coverage/cobertura.parser.ts";
import { parseGoCoverprofile } from "./coverage/go-coverprofile.parser.ts";
import { parseIstanbul, parseIstanbulSummary } from "./coverage/istanbul.parser.ts";
import { parseJacoco } from "./coverage/jacoco.parser.ts";
import { parseLcov } from "./coverage/lcov.parser.ts";
import { uncoveredRangesOfRow } from "./coverage/paths.ts";
import { parseJUnit } from "./junit.parser.ts";
import type { Chunks, FileCoverage, JUnitFileSummary, ParsedTestCase, ReportFormat, SummaryCoverage } from "./parser.types.ts";

export { detectFormat } from "./detect.ts";

export type ParsedReport =
  | { kind: "tests"; batches: AsyncGenerator<ParsedTestCase[], JUnitFileSummary> }
  | { kind: "coverage"; batches: AsyncGenerator<CoverageRow[]> };

/** Line coverage in its stored form: sorted [line, hits] and [line, covered, total]. */
export function toCoverageRow(file: FileCoverage): CoverageRow {
  const lines = [...file.lines.entries()].sort((a, b) => a[0] - b[0]);
  const branches = [...file.branches.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([line, b]): [number, number, number] => [line, b.covered, b.total]);
  return {
    path: file.path,
    lines,
    branches,
    linesCovered: lines.filter(([, hits]) => hits > 0).length,
    linesTotal: lines.length,
    branchesCovered: branches.reduce((n, [, covered]) => n + covered, 0),
    branchesTotal: branches.reduce((n, [, , total]) => n + total, 0),
    uncovered: uncoveredRangesOfRow(lines),
  };
}

/** coverage-summary.json has totals per file only: stored without line data. */
function summaryRow(file: SummaryCoverage): CoverageRow {
  return {
    path: file.path,
    lines: [],
    branches: [],
    linesCovered: file.lines.covered,
    linesTotal: file.lines.total,
    branchesCovered: file.branches?.covered ?? 0,
    branchesTotal: file.branches?.total ?? 0,
  };
}

async function* rows<T>(source: AsyncIterable<T[]>, convert: (item: T) => CoverageRow): AsyncGenerator<CoverageRow[]> {
  for await (const batch of source) yield batch.map(convert);
}

export function parseReport(format: ReportFormat, chunks: Chunks): ParsedReport {
  switch (format) {
    case "junit":
      return { kind: "tests", batches: parseJUnit(chunks) };
    case "lcov":
      return { kind: "coverage", batches: rows(parseLcov(chunks), toCoverageRow) };
    case "cobertura":
      return { kind: "coverage", batches: rows(parseCobertura(chunks), toCoverageRow) };
    case "jacoco":
      return { kind: "coverage", batches: rows(parseJacoco(chunks), toCoverageRow) };
    case "istanbul":
      return { kind: "coverage", batches: rows(parseIstanbul(chunks), toCoverageRow) };
    case "istanbul-summary":
      return { kind: "coverage", batches: rows(parseIstanbulSummary(chunks), summaryRow) };
    case "go-coverprofile":
      return { kind: "coverage", batches: rows(parseGoCoverprofile(chunks), toCoverageRow) };
  }
}
