import { type Static, Type } from "typebox";

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

export {
  type CreatedRun,
  CreatedRunSchema,
  type IngestResult,
  IngestResultSchema,
  type LogRecord,
  LogRecordSchema,
  type Run,
  RunSchema,
  RunStatusSchema,
} from "../../shared/runs.api.ts";

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
