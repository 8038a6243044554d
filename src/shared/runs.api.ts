import { type Static, Type } from "typebox";
import { Nullable } from "./api.ts";

/**
 * The HTTP contract of pipeline runs (src/features/runs): what the routes answer, and what the dashboard reads (it
 * imports these types only).
 */

export const RunStatusSchema = Type.Union([
  Type.Literal("running"),
  Type.Literal("succeeded"),
  Type.Literal("failed"),
  Type.Literal("unknown"),
]);
export type RunStatus = Static<typeof RunStatusSchema>;

export const RunSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  name: Type.String(),
  environment: Nullable(Type.String()),
  releaseVersion: Nullable(Type.String()),
  commitSha: Nullable(Type.String()),
  deploymentId: Nullable(Type.String()),
  externalId: Nullable(Type.String()),
  attributes: Type.Record(Type.String(), Type.String()),
  status: RunStatusSchema,
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  endedAt: Nullable(Type.String()),
  durationMs: Type.Integer(),
  /** When retention deleted the run's log records and metric samples (its counts, errors and alerts stay). */
  purgedAt: Nullable(Type.String()),
});
export type Run = Static<typeof RunSchema>;

export const CreatedRunSchema = Type.Intersect([
  RunSchema,
  Type.Object({ ingestToken: Type.String({ description: "Run-scoped ingest token; shown once" }) }),
]);
export type CreatedRun = Static<typeof CreatedRunSchema>;

export const LogRecordSchema = Type.Object({
  id: Type.Integer(),
  ts: Type.String(),
  node: Type.String(),
  level: Type.String(),
  msg: Type.String(),
  attributes: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  traceId: Nullable(Type.String()),
  spanId: Nullable(Type.String()),
  clamped: Type.Boolean(),
  truncated: Type.Boolean(),
});
export type LogRecord = Static<typeof LogRecordSchema>;

export const IngestResultSchema = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  clamped: Type.Integer(),
  truncated: Type.Integer(),
  errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
});
export type IngestResult = Static<typeof IngestResultSchema>;

export const AlertSchema = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  severity: Type.String(),
  state: Type.Union([Type.Literal("firing"), Type.Literal("resolved")]),
  message: Type.String(),
  value: Nullable(Type.Number()),
  firedAt: Type.String(),
  resolvedAt: Nullable(Type.String()),
});
export type Alert = Static<typeof AlertSchema>;

/** What the run page compares between a run, the previous run of its job and the same release one environment back. */
export const RunFiguresSchema = Type.Object({
  runId: Type.String(),
  status: Type.String(),
  durationMs: Type.Integer(),
  errors: Type.Integer(),
  gpuUtilizationAvg: Nullable(Type.Number()),
  gpuMemoryPeakMib: Nullable(Type.Number()),
  hostMemoryPeakPct: Nullable(Type.Number()),
});
export type RunFigures = Static<typeof RunFiguresSchema>;

/** A finding another feature reports about a run (e.g. a Spark diagnosis), shown on the run page. */
export const RunFindingSchema = Type.Object({
  /** The feature that found it: "spark". */
  source: Type.String(),
  /** What it is about inside the run: the Spark analysis name. */
  subject: Type.String(),
  code: Type.String(),
  severity: Type.Union([Type.Literal("info"), Type.Literal("warning"), Type.Literal("critical")]),
  title: Type.String(),
  advice: Type.String(),
});
export type RunFinding = Static<typeof RunFindingSchema>;

export const RunFindingsSchema = Type.Object(
  {
    critical: Type.Integer(),
    warning: Type.Integer(),
    info: Type.Integer(),
    /** The most severe first. */
    top: Type.Array(RunFindingSchema),
  },
  { description: "Findings of other features about the run (Spark diagnoses): counts by severity and the most severe" },
);
export type RunFindings = Static<typeof RunFindingsSchema>;

export const RunNodeSchema = Type.Object({
  node: Type.String(),
  firstRecordAt: Type.String(),
  lastRecordAt: Type.String(),
  lastSeenAt: Type.String(),
  records: Type.Integer(),
  levels: Type.Record(Type.String(), Type.Integer()),
});
export type RunNode = Static<typeof RunNodeSchema>;

/** Records with the same message once numbers, ids, paths and hex are normalised. */
export const RunErrorSchema = Type.Object({
  fingerprint: Type.String(),
  template: Type.String(),
  count: Type.Integer(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  nodes: Type.Array(Type.String()),
  example: Type.Object({ message: Type.String(), stack: Nullable(Type.String()), node: Type.String() }),
});
export type RunError = Static<typeof RunErrorSchema>;

export const RunSummarySchema = Type.Object({
  run: RunSchema,
  records: Type.Integer(),
  nodes: Type.Array(RunNodeSchema),
  topErrors: Type.Array(RunErrorSchema),
  metrics: Type.Array(
    Type.Object({
      name: Type.String(),
      node: Type.String(),
      gpu: Type.String(),
      min: Type.Number(),
      avg: Type.Number(),
      max: Type.Number(),
      samples: Type.Integer(),
    }),
  ),
  alerts: Type.Array(AlertSchema),
  findings: RunFindingsSchema,
  comparison: Type.Object({
    current: RunFiguresSchema,
    previousRun: Nullable(RunFiguresSchema),
    previousEnvironment: Nullable(Type.Intersect([RunFiguresSchema, Type.Object({ environment: Nullable(Type.String()) })])),
  }),
});
export type RunSummary = Static<typeof RunSummarySchema>;

export const MetricSeriesSchema = Type.Object({
  node: Type.String(),
  gpu: Type.String(),
  labels: Type.Record(Type.String(), Type.String()),
  /** Downsampled buckets, never every raw point. */
  points: Type.Array(
    Type.Object({ ts: Type.String(), min: Type.Number(), avg: Type.Number(), max: Type.Number(), count: Type.Integer() }),
  ),
});
export type MetricSeries = Static<typeof MetricSeriesSchema>;

export const MetricAnswerSchema = Type.Object({
  name: Type.String(),
  from: Type.String(),
  to: Type.String(),
  stepMs: Type.Integer(),
  series: Type.Array(MetricSeriesSchema),
});
export type MetricAnswer = Static<typeof MetricAnswerSchema>;
