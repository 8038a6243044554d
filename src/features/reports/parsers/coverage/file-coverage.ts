import type { FileCoverage } from "../parser.types.ts";

/** Building blocks the parsers share: one report may mention a line twice, and within one report the larger count wins. */

export function newFileCoverage(path: string): FileCoverage {
  return { path, lines: new Map(), branches: new Map() };
}

export function recordLine(file: FileCoverage, line: number, hits: number): void {
  const before = file.lines.get(line);
  if (before === undefined || hits > before) file.lines.set(line, hits);
}

export function recordBranches(file: FileCoverage, line: number, covered: number, total: number): void {
  const before = file.branches.get(line);
  if (before === undefined) {
    file.branches.set(line, { covered, total });
    return;
  }
  file.branches.set(line, { covered: Math.max(before.covered, covered), total: Math.max(before.total, total) });
}

/**
 * A non-negative integer count, or null when the text is not one. Counts past 2^53 are clamped so sums stay exact:
 * gcov-based tools print a wrapped -1 as 18446744073709551615, which LCOV's own LH counts as hit.
 */
export function parseCount(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  return Math.min(Number(text), Number.MAX_SAFE_INTEGER);
}

/** A 1-based line number, or null. */
export function parseLineNumber(text: string | undefined): number | null {
  const value = parseCount(text);
  return value === null || value < 1 || value === Number.MAX_SAFE_INTEGER ? null : value;
}
