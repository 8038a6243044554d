import { type Chunks, type FileCoverage, ReportParseError, type SummaryCoverage } from "../parser.types.ts";
import { COVERAGE_DEFAULTS, type CoverageParseOptions, type CoveredOfTotal } from "./coverage.types.ts";
import { newFileCoverage, recordLine } from "./file-coverage.ts";
import { JsonObjectSplitter, type TopLevelEntry } from "./json-splitter.ts";
import { decodeChunks } from "./text.ts";

/**
 * Istanbul `coverage-final.json` (nyc, Jest, Vitest, c8): one object keyed by file path, each value a file coverage
 * with `statementMap`/`s`, `branchMap`/`b` and `fnMap`/`f`. Entries are parsed one at a time as they arrive.
 *
 * Lines follow istanbul-lib-coverage's `getLineCoverage` (what its lcov reporter writes): a line's hits are the largest
 * count of the statements that start on it. Branches follow `getBranchCoverageByLine`: every path of a branch counts on
 * the line where the branch starts; covered are the paths taken at least once.
 */
export async function* parseIstanbul(source: Chunks, options: CoverageParseOptions = {}): AsyncGenerator<FileCoverage[]> {
  for await (const entries of splitTopLevel(source, "istanbul", options)) {
    yield entries.map(toFileCoverage);
  }
}

/**
 * Istanbul `coverage-summary.json` (json-summary reporter): totals per file, no lines. The `total` entry is the sum of
 * the others and is skipped. `pct` is not read at all: it is derived, and reads "Unknown" when a total is 0.
 */
export async function* parseIstanbulSummary(
  source: Chunks,
  options: CoverageParseOptions = {},
): AsyncGenerator<SummaryCoverage[]> {
  for await (const entries of splitTopLevel(source, "istanbul-summary", options)) {
    const files = entries.filter((entry) => entry.key !== "total").map(toSummary);
    if (files.length > 0) yield files;
  }
}

type Format = "istanbul" | "istanbul-summary";
type Json = Record<string, unknown>;

async function* splitTopLevel(source: Chunks, format: Format, options: CoverageParseOptions): AsyncGenerator<TopLevelEntry[]> {
  const splitter = new JsonObjectSplitter({ format, maxEntryLength: options.maxEntryLength ?? COVERAGE_DEFAULTS.maxEntryLength });
  for await (const text of decodeChunks(source)) {
    const entries = splitter.push(text);
    if (entries.length > 0) yield entries;
  }
  splitter.end();
}

function toFileCoverage(entry: TopLevelEntry): FileCoverage {
  const wrapped = parseEntry(entry, "istanbul");
  // istanbul-lib-coverage also accepts the older `{ path: { data: {...} } }` shape.
  const data = isRecord(wrapped.data) && wrapped.statementMap === undefined ? wrapped.data : wrapped;
  const invalid = (what: string) => fail("istanbul", entry, `${what}; is this a coverage-final.json?`);
  const { statementMap, s, branchMap, b, fnMap, f } = data;
  if (!isRecord(statementMap) || !isRecord(s)) throw invalid("statementMap and s are missing");
  const file = newFileCoverage(typeof data.path === "string" && data.path !== "" ? data.path : entry.key);

  for (const [id, location] of Object.entries(statementMap)) {
    const line = startLine(location);
    const hits = count(s[id]);
    if (line === null || hits === null) throw invalid(`statement ${id} has no start line or no count in s`);
    recordLine(file, line, hits);
  }
  if (branchMap !== undefined || b !== undefined) {
    if (!isRecord(branchMap) || !isRecord(b)) throw invalid("branchMap and b must come together");
    for (const [id, branch] of Object.entries(branchMap)) {
      const line = isRecord(branch) ? branchLine(branch) : null;
      const paths = b[id];
      if (line === null || !Array.isArray(paths)) throw invalid(`branch ${id} has no start line or no counts in b`);
      const counts = paths.map(count);
      if (counts.some((n) => n === null)) throw invalid(`branch ${id} has a count that is not a number ≥ 0`);
      const before = file.branches.get(line) ?? { covered: 0, total: 0 };
      const covered = counts.filter((n) => n !== null && n > 0).length;
      file.branches.set(line, { covered: before.covered + covered, total: before.total + counts.length });
    }
  }
  if (isRecord(f)) {
    const counts = Object.values(f).map(count);
    if (counts.some((n) => n === null)) throw invalid("a function count in f is not a number ≥ 0");
    file.functions = {
      covered: counts.filter((n) => n !== null && n > 0).length,
      total: isRecord(fnMap) ? Math.max(Object.keys(fnMap).length, counts.length) : counts.length,
    };
  }
  return file;
}

function toSummary(entry: TopLevelEntry): SummaryCoverage {
  const data = parseEntry(entry, "istanbul-summary");
  const lines = metric(data.lines) ?? metric(data.statements);
  if (lines === null)
    throw fail("istanbul-summary", entry, "no lines totals ({ covered, total }); is this a coverage-summary.json?");
  const branches = metric(data.branches);
  const functions = metric(data.functions);
  if ((data.branches !== undefined && branches === null) || (data.functions !== undefined && functions === null)) {
    throw fail("istanbul-summary", entry, "branches or functions totals without numeric covered ≤ total");
  }
  return { path: entry.key, lines, branches, functions };
}

function parseEntry(entry: TopLevelEntry, format: Format): Json {
  let value: unknown;
  try {
    value = JSON.parse(entry.json);
  } catch (cause) {
    throw fail(format, entry, `not valid JSON (${(cause as Error).message})`, cause);
  }
  if (!isRecord(value)) throw fail(format, entry, "not an object");
  return value;
}

function metric(value: unknown): CoveredOfTotal | null {
  if (!isRecord(value)) return null;
  const covered = count(value.covered);
  const total = count(value.total);
  return covered === null || total === null || covered > total ? null : { covered, total };
}

function startLine(location: unknown): number | null {
  if (!isRecord(location) || !isRecord(location.start)) return null;
  const line = location.start.line;
  return typeof line === "number" && Number.isInteger(line) && line >= 1 ? line : null;
}

/** The line a branch counts on: where its `loc` starts, else its `line`, else where its first path starts. */
function branchLine(branch: Json): number | null {
  const line = startLine(branch.loc);
  if (line !== null) return line;
  if (typeof branch.line === "number" && Number.isInteger(branch.line) && branch.line >= 1) return branch.line;
  return Array.isArray(branch.locations) ? startLine(branch.locations[0]) : null;
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0
    ? Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER)
    : null;
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(format: Format, entry: TopLevelEntry, message: string, cause?: unknown): ReportParseError {
  return new ReportParseError({
    format,
    line: entry.line,
    message: `JSON line ${entry.line}, entry "${entry.key}": ${message}`,
    cause,
  });
}
