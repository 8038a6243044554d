import { type Static, Type } from "typebox";
import { Nullable } from "../../shared/api.ts";

export const RUN_STATUSES = ["running", "succeeded", "failed", "unknown"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run as the rest of the server sees it (the Spark feature attaches analyses to `id`). */
export interface RunRecord {
  id: string;
  projectId: string;
  name: string;
  environment: string | null;
  releaseVersion: string | null;
  commitSha: string | null;
  deploymentId: string | null;
  externalId: string | null;
  attributes: Record<string, string>;
  status: RunStatus;
  createdBy: string | null;
  createdAt: string;
  endedAt: string | null;
  /** When retention deleted the run's log records and metric samples. */
  purgedAt?: string | null;
}

export const RunStatusSchema = Type.Union([
  Type.Literal("running"),
  Type.Literal("succeeded"),
  Type.Literal("failed"),
  Type.Literal("unknown"),
]);

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

export const CreateRunBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    environment: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    releaseVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    attributes: Type.Optional(
      Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 2000 }), { maxProperties: 100 }),
    ),
  },
  { additionalProperties: false },
);
export type CreateRunInput = Static<typeof CreateRunBody>;

export const EndRunBody = Type.Object(
  { status: Type.Union([Type.Literal("succeeded"), Type.Literal("failed"), Type.Literal("unknown")]) },
  { additionalProperties: false },
);

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

/** A metric sample before storage: `gpu` "" for host metrics, `labels` the remaining labels. */
export interface MetricPoint {
  name: string;
  node: string;
  gpu: string;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type Level = (typeof LEVELS)[number];

/** A log record ready for storage (bounded and clamped by logs.normalize.ts). `ts` in epoch ms. */
export interface LogRecordInput {
  ts: number;
  node: string;
  level: Level;
  severity: number;
  msg: string;
  attrs: Record<string, unknown> | null;
  traceId: string | null;
  spanId: string | null;
  flags: number;
}

export const RUN_ID_ATTRIBUTE = "stagegate.run.id";
