/**
 * What every report parser produces. Parsers are pure and streaming: they take the upload as an async iterable of
 * chunks and yield records as they go, never holding a whole file; the reports service stores the records in batches.
 */

export type ReportFormat = "junit" | "lcov" | "cobertura" | "jacoco" | "istanbul" | "istanbul-summary" | "go-coverprofile";

export type CaseStatus = "passed" | "failed" | "errored" | "skipped" | "flaky";

export interface ParsedTestCase {
  /** Names of the enclosing <testsuite> elements, outermost first (empty names left out). */
  suite: string[];
  classname: string | null;
  name: string;
  /** Source file when the report says (`file` attribute), else null. */
  file: string | null;
  durationMs: number | null;
  /**
   * Outcome as the tool meant it: Surefire's flakyFailure/flakyError without a failure → `flaky`; rerunFailure with a
   * final failure → `failed`; pytest's failure plus teardown error → one case, `failed`; skipped + failure → `failed`.
   */
  status: CaseStatus;
  /** First failure/error message (capped), or the skip reason. */
  message: string | null;
  /** Body of the first failure/error (stack trace), capped. */
  stack: string | null;
  systemOut: string | null;
  systemErr: string | null;
  /** How many extra runs the report shows for this case (Surefire reruns, gotestsum reruns). */
  reruns: number;
}

export interface JUnitFileSummary {
  suites: number;
  cases: number;
  /** Declared totals from the root element when present; differences are reported as warnings, not errors. */
  declared: { tests?: number; failures?: number; errors?: number; skipped?: number };
  warnings: string[];
}

export interface FileCoverage {
  /** Path exactly as the report gives it; the service normalises paths of a whole run afterwards. */
  path: string;
  /** line number → hit count. */
  lines: Map<number, number>;
  /** line number → branches covered of total on that line. */
  branches: Map<number, { covered: number; total: number }>;
  functions?: { covered: number; total: number };
}

/** Istanbul coverage-summary.json carries only totals per file, no lines. */
export interface SummaryCoverage {
  path: string;
  lines: { covered: number; total: number };
  branches: { covered: number; total: number } | null;
  functions: { covered: number; total: number } | null;
}

export interface ParserLimits {
  /** Cap of each of message, stack, system-out, system-err per case, in characters. */
  maxTextPerField: number;
  /** XML nesting depth allowed. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ParserLimits = { maxTextPerField: 64 * 1024, maxDepth: 256 };

/** A file that cannot be read as its format: where and what, so the user can fix it. */
export class ReportParseError extends Error {
  override readonly name = "ReportParseError";
  readonly format: ReportFormat | "unknown";
  readonly line: number | null;
  readonly column: number | null;
  constructor(options: {
    format: ReportFormat | "unknown";
    message: string;
    line?: number | null;
    column?: number | null;
    cause?: unknown;
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.format = options.format;
    this.line = options.line ?? null;
    this.column = options.column ?? null;
  }
}

export type Chunks = AsyncIterable<Buffer | Uint8Array | string>;
