import type { Comparison, PatchDiff, ReportSummary, TestCase } from "../../shared/reports.api.ts";
import type { CaseStatus } from "./parsers/parser.types.ts";

export interface ReportRunRecord {
  id: string;
  projectId: string;
  projectSlug: string;
  commitSha: string;
  branch: string;
  kind: string;
  baseSha: string | null;
  ci: { provider?: string; url?: string; job?: string } | null;
  diff: { files: PatchDiff; pathPrefix?: string } | null;
  status: "open" | "complete";
  summary: ReportSummary | null;
  createdBy: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface StoredFileSummary {
  cases: number;
  coverageFiles: number;
  warnings: string[];
}

export interface ReportFileRecord {
  id: string;
  runId: string;
  name: string;
  format: string;
  bytes: number;
  summary: StoredFileSummary;
}

/** A case row ready to insert. */
export interface CaseRow {
  seq: number;
  testKey: string;
  suite: string;
  classname: string | null;
  name: string;
  file: string | null;
  durationMs: number | null;
  status: string;
  message: string | null;
  stack: string | null;
  systemOut: string | null;
  systemErr: string | null;
  reruns: number;
}

/** Line coverage in the compact stored form. */
export interface CoverageRow {
  path: string;
  lines: [number, number][];
  branches: [number, number, number][];
  linesCovered: number;
  linesTotal: number;
  branchesCovered: number;
  branchesTotal: number;
  /** Uncovered line ranges, stored with the row for the coverage list; absent on rows without line data. */
  uncovered?: [number, number][];
}

/**
 * The parts of a run's report page that read many cases (failures, flaky, slowest, the comparison with its base), computed
 * once when the run completes and stored with it, so a page view reads one row instead of scanning 200k cases.
 */
export interface RunPage {
  failures: TestCase[];
  flaky: TestCase[];
  slowest: TestCase[];
  /** The comparison with the base the run had when it was computed; recomputed when the base changes. */
  comparison: Comparison;
}

/** The statuses of a failing case. */
export const FAILED = ["failed", "errored"];
/** Every status a case can have (the Record makes the compiler check that none is missing). */
export const STATUSES = Object.keys({ passed: 1, failed: 1, errored: 1, skipped: 1, flaky: 1 } satisfies Record<CaseStatus, 1>);
