import type { FileCoverage } from "../parser.types.ts";
import type { CoverageTotals } from "./coverage.types.ts";

export interface NormaliseOptions {
  /** The checkout directory as CI saw it (`/home/runner/work/app/app`, `C:\a\app`); stripped from every path under it. */
  stripPrefix?: string;
  /** Top-level entries of the repository (`src`, `test`); an absolute path is cut where one of them starts. */
  knownRoots?: string[];
}

/**
 * Repo-relative paths for the paths of one run's reports, as a map from each given path to its normalised form.
 *
 * Backslashes become `/` and a drive letter is dropped (`C:\temp\a.cs` → `/temp/a.cs`). Then, for absolute paths:
 * `stripPrefix` when given; else a known root when one appears in the path; else the longest common directory of all
 * the absolute paths, so `/home/runner/work/app/app/src/a.ts` and `…/app/test/b.ts` become `src/a.ts` and `test/b.ts`.
 * Relative paths (Go import paths such as `github.com/spf13/cobra/command.go`, Cobertura file names) are left as they
 * are apart from a leading `./`. A single absolute directory has nothing to compare with, so its files lose the whole
 * directory (`/x/src/a.ts` alone → `a.ts`); give `stripPrefix` or `knownRoots` to do better.
 */
export function normalisePaths(paths: string[], options: NormaliseOptions = {}): Map<string, string> {
  const cleaned = new Map(paths.map((path) => [path, clean(path)]));
  const result = new Map<string, string>();
  if (options.stripPrefix !== undefined && options.stripPrefix.trim() !== "") {
    const prefix = `${clean(options.stripPrefix.trim()).replace(/\/+$/, "")}/`;
    for (const [path, tidy] of cleaned) result.set(path, tidy.startsWith(prefix) ? tidy.slice(prefix.length) : tidy);
    return result;
  }
  const roots = new Set(
    (options.knownRoots ?? []).map((root) => clean(root).replace(/^\/+|\/+$/g, "")).filter((root) => root !== ""),
  );
  const rooted = new Map<string, string | null>();
  for (const tidy of cleaned.values()) if (tidy.startsWith("/")) rooted.set(tidy, fromKnownRoot(tidy, roots));
  const common = commonDirectory([...rooted].filter(([, root]) => root === null).map(([tidy]) => tidy));
  for (const [path, tidy] of cleaned) {
    const root = rooted.get(tidy);
    result.set(path, root === undefined ? tidy : (root ?? tidy.slice(common.length)));
  }
  return result;
}

function clean(path: string): string {
  return path
    .replace(/^file:\/\//, "")
    .replace(/\\/g, "/")
    .replace(/^\/?[A-Za-z]:(?=\/|$)/, "")
    .replace(/\/{2,}/g, "/")
    .replace(/\/(\.\/)+/g, "/")
    .replace(/^(\.\/)+/, "");
}

/** `/x/y/src/a.ts` with root `src` → `src/a.ts`: cut at the first directory that is a known root. */
function fromKnownRoot(path: string, roots: Set<string>): string | null {
  const segments = path.split("/");
  const index = segments.findIndex((segment, i) => i < segments.length - 1 && roots.has(segment));
  return index < 0 ? null : segments.slice(index).join("/");
}

/** The longest directory, with its trailing `/`, that contains every one of the absolute paths. */
function commonDirectory(paths: string[]): string {
  const [first, ...others] = paths.map((path) => path.split("/").slice(0, -1));
  if (first === undefined) return "";
  let length = first.length;
  for (const dirs of others) {
    let same = 0;
    while (same < length && dirs[same] === first[same]) same++;
    length = same;
  }
  return `${first.slice(0, length).join("/")}/`;
}

/**
 * Coverage of one file from two reports of the same run. Reports of one run come from different test processes, so
 * line hits add up. Branch data says how many of a line's branches ran, not which, so each line keeps the larger
 * covered and the larger total; functions likewise.
 */
export function mergeCoverage(a: FileCoverage, b: FileCoverage): FileCoverage {
  const lines = new Map(a.lines);
  for (const [line, hits] of b.lines) lines.set(line, Math.min((lines.get(line) ?? 0) + hits, Number.MAX_SAFE_INTEGER));
  const branches = new Map(a.branches);
  for (const [line, counts] of b.branches) {
    const before = branches.get(line);
    branches.set(
      line,
      before ? { covered: Math.max(before.covered, counts.covered), total: Math.max(before.total, counts.total) } : counts,
    );
  }
  const merged: FileCoverage = { path: a.path, lines, branches };
  const functions =
    a.functions && b.functions
      ? { covered: Math.max(a.functions.covered, b.functions.covered), total: Math.max(a.functions.total, b.functions.total) }
      : (a.functions ?? b.functions);
  if (functions) merged.functions = functions;
  return merged;
}

/** Lines and branches covered of total over the files. */
export function summarise(files: Iterable<FileCoverage>): CoverageTotals {
  const totals: CoverageTotals = { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 } };
  for (const file of files) {
    for (const hits of file.lines.values()) {
      totals.lines.total++;
      if (hits > 0) totals.lines.covered++;
    }
    for (const { covered, total } of file.branches.values()) {
      totals.branches.covered += covered;
      totals.branches.total += total;
    }
  }
  return totals;
}

/**
 * Runs of uncovered lines as `[start, end]`, inclusive. Like coverage.py's "Missing" column, a run continues across
 * lines that carry no code (blank lines, comments) and ends only at a covered line: 10, 11, 13 uncovered and 12 not
 * instrumented give `[10, 13]`.
 */
/**
 * `uncoveredRanges` read straight from stored line data (`[[line,hits],…]`, sorted by line) without building arrays and
 * a Map for every line: the coverage list does this for up to 1,000 files per request.
 */
export function uncoveredRangesOfJson(json: string): [number, number][] {
  const ranges: [number, number][] = [];
  let open: [number, number] | null = null;
  let previous = -1;
  let at = json.indexOf("[", 1);
  while (at >= 0) {
    const comma = json.indexOf(",", at);
    const close = json.indexOf("]", comma);
    if (comma < 0 || close < 0) break;
    const line = Number(json.slice(at + 1, comma));
    const hits = Number(json.slice(comma + 1, close));
    if (!(line > previous)) return uncoveredRanges(new Map(JSON.parse(json) as [number, number][]));
    previous = line;
    if (hits > 0) open = null;
    else if (open !== null) open[1] = line;
    else {
      open = [line, line];
      ranges.push(open);
    }
    at = json.indexOf("[", close);
  }
  return ranges;
}

/** `uncoveredRanges` of a row's `[line, hits]` pairs as stored (sorted by line; sorted here if they are not). */
export function uncoveredRangesOfRow(lines: readonly [number, number][]): [number, number][] {
  for (let i = 1; i < lines.length; i++) {
    if ((lines[i]?.[0] ?? 0) <= (lines[i - 1]?.[0] ?? 0)) return uncoveredRanges(new Map(lines));
  }
  const ranges: [number, number][] = [];
  let open: [number, number] | null = null;
  for (const [line, hits] of lines) {
    if (hits > 0) open = null;
    else if (open !== null) open[1] = line;
    else {
      open = [line, line];
      ranges.push(open);
    }
  }
  return ranges;
}

export function uncoveredRanges(lines: Map<number, number>): [number, number][] {
  const ranges: [number, number][] = [];
  let open: [number, number] | null = null;
  for (const [line, hits] of [...lines.entries()].sort((x, y) => x[0] - y[0])) {
    if (hits > 0) open = null;
    else if (open !== null) open[1] = line;
    else {
      open = [line, line];
      ranges.push(open);
    }
  }
  return ranges;
}
