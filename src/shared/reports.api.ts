import { type Static, Type } from "typebox";
import { Nullable } from "./api.ts";

/** Request and response bodies of the reports API (report runs, files, tests, coverage, flaky tests, trends). */

const Sha = Type.String({ pattern: "^[0-9a-fA-F]{7,64}$" });

export const ReportKind = Type.String({
  pattern: "^[a-z0-9][a-z0-9_-]{0,39}$",
  description: "unit, integration, e2e or any lowercase word",
});

export const LineRanges = Type.Array(Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })]), {
  maxItems: 100_000,
});
export const PatchDiff = Type.Array(Type.Object({ path: Type.String({ minLength: 1, maxLength: 4096 }), ranges: LineRanges }), {
  maxItems: 50_000,
  description: "added/changed line ranges per file (from git diff --unified=0)",
});
export type PatchDiff = Static<typeof PatchDiff>;

export const CreateReportRunBody = Type.Object(
  {
    commitSha: Sha,
    branch: Type.String({ minLength: 1, maxLength: 255 }),
    kind: Type.Optional(ReportKind),
    baseSha: Type.Optional(Sha),
    ci: Type.Optional(
      Type.Object(
        {
          provider: Type.Optional(Type.String({ maxLength: 50 })),
          url: Type.Optional(Type.String({ maxLength: 2000 })),
          job: Type.Optional(Type.String({ maxLength: 500 })),
        },
        { additionalProperties: false },
      ),
    ),
    diff: Type.Optional(PatchDiff),
    pathPrefix: Type.Optional(Type.String({ maxLength: 1000, description: "prefix to strip from coverage paths" })),
  },
  { additionalProperties: false },
);
export type CreateReportRunBody = Static<typeof CreateReportRunBody>;

const Ratio = Type.Object({ covered: Type.Integer(), total: Type.Integer(), pct: Nullable(Type.Number()) });
export type Ratio = Static<typeof Ratio>;

export const TestCounts = Type.Object({
  total: Type.Integer(),
  passed: Type.Integer(),
  failed: Type.Integer(),
  errored: Type.Integer(),
  skipped: Type.Integer(),
  flaky: Type.Integer(),
});
export type TestCounts = Static<typeof TestCounts>;

export const ReportSummary = Type.Object({
  tests: TestCounts,
  durationMs: Type.Number(),
  coverage: Nullable(Type.Object({ lines: Ratio, branches: Nullable(Ratio), files: Type.Integer() })),
  patchCoverage: Nullable(Ratio),
});
export type ReportSummary = Static<typeof ReportSummary>;

export const ReportFile = Type.Object({
  name: Type.String(),
  format: Type.String(),
  bytes: Type.Integer(),
  cases: Type.Integer(),
  coverageFiles: Type.Integer(),
  warnings: Type.Array(Type.String()),
});
export type ReportFile = Static<typeof ReportFile>;

export const ReportRun = Type.Object({
  id: Type.String(),
  project: Type.String(),
  commitSha: Type.String(),
  branch: Type.String(),
  kind: Type.String(),
  baseSha: Nullable(Type.String()),
  ci: Nullable(
    Type.Object({ provider: Type.Optional(Type.String()), url: Type.Optional(Type.String()), job: Type.Optional(Type.String()) }),
  ),
  status: Type.Union([Type.Literal("open"), Type.Literal("complete")]),
  files: Type.Array(ReportFile),
  summary: Nullable(ReportSummary),
  url: Type.String({ description: "the run's report in the API" }),
  createdAt: Type.String(),
  completedAt: Nullable(Type.String()),
});
export type ReportRun = Static<typeof ReportRun>;

export const TestCase = Type.Object({
  key: Type.String({ description: "identity of the test across runs: use it for its history" }),
  suite: Type.String(),
  classname: Nullable(Type.String()),
  name: Type.String(),
  file: Nullable(Type.String()),
  durationMs: Nullable(Type.Number()),
  status: Type.String(),
  message: Nullable(Type.String()),
  stack: Nullable(Type.String()),
  reruns: Type.Integer(),
  id: Type.Optional(Type.String({ description: "the case in its run: GET /report-runs/{runId}/tests/{id} gives its full text" })),
  truncated: Type.Optional(
    Type.Boolean({ description: "lists cut long messages and stacks to their first lines; the case's own URL has them whole" }),
  ),
});
export type TestCase = Static<typeof TestCase>;

export const CoverageEntry = Type.Object({
  path: Type.String(),
  lines: Ratio,
  branches: Ratio,
  uncovered: LineRanges,
});
export type CoverageEntry = Static<typeof CoverageEntry>;

export const Comparison = Type.Object({
  base: Nullable(Type.Object({ runId: Type.String(), commitSha: Type.String(), branch: Type.String() })),
  newFailures: Type.Array(Type.String()),
  fixed: Type.Array(Type.String()),
  added: Type.Integer(),
  removed: Type.Integer(),
  coverageDelta: Nullable(Type.Number({ description: "line coverage percentage points, this run minus base" })),
});
export type Comparison = Static<typeof Comparison>;

export const ReportRunDetail = Type.Intersect([
  ReportRun,
  Type.Object({
    failures: Type.Array(TestCase, { description: "first 25, stacks cut to their first lines; the rest: …/tests?status=failed" }),
    flaky: Type.Array(TestCase),
    slowest: Type.Array(TestCase, { description: "10 slowest" }),
    comparison: Nullable(Comparison),
  }),
]);
export type ReportRunDetail = Static<typeof ReportRunDetail>;

export const TestHistory = Type.Object({
  key: Type.String(),
  name: Nullable(Type.String()),
  items: Type.Array(
    Type.Object({
      runId: Type.String(),
      commitSha: Type.String(),
      branch: Type.String(),
      kind: Type.String(),
      status: Type.String(),
      durationMs: Nullable(Type.Number()),
      at: Type.String(),
    }),
    { description: "newest first" },
  ),
  counts: Type.Record(Type.String(), Type.Integer()),
});
export type TestHistory = Static<typeof TestHistory>;
