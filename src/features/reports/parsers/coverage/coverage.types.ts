/** Types shared by the coverage parsers; the records they produce live in `../parser.types.ts`. */

export interface CoverageParseOptions {
  /** XML nesting depth allowed (XML formats only). */
  maxDepth?: number;
  /** Longest line accepted by the line-oriented formats (LCOV, Go), in characters. */
  maxLineLength?: number;
  /** Largest single top-level entry of an Istanbul JSON file, in characters. */
  maxEntryLength?: number;
}

export const COVERAGE_DEFAULTS = {
  maxDepth: 256,
  maxLineLength: 1024 * 1024,
  maxEntryLength: 64 * 1024 * 1024,
  /** A Go block longer than this is not source code; refusing it keeps memory bounded. */
  maxBlockLines: 100_000,
} as const;

/**
 * What a Cobertura report says besides its files, returned by the generator when it finishes: the `<source>` roots that
 * relative `filename`s are relative to. Parsers do not join them: a report often lists several sources, or one that
 * means nothing on the server (`$GOMODCACHE`, `C:\temp\`), so the service decides how to resolve paths.
 */
export interface CoberturaReport {
  sources: string[];
}

export interface CoveredOfTotal {
  covered: number;
  total: number;
}

export interface CoverageTotals {
  lines: CoveredOfTotal;
  branches: CoveredOfTotal;
}
