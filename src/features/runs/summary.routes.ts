import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { ErrorBody, Nullable } from "../../shared/api.ts";
import { AlertSchema } from "./alerts.types.ts";
import type { RunSummary } from "./runs.summary.ts";
import { RunSchema } from "./runs.types.ts";

const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const Figures = Type.Object({
  runId: Type.String(),
  status: Type.String(),
  durationMs: Type.Integer(),
  errors: Type.Integer(),
  gpuUtilizationAvg: Nullable(Type.Number()),
  gpuMemoryPeakMib: Nullable(Type.Number()),
  hostMemoryPeakPct: Nullable(Type.Number()),
});
const Finding = Type.Object({
  source: Type.String(),
  subject: Type.String(),
  code: Type.String(),
  severity: Type.Union([Type.Literal("info"), Type.Literal("warning"), Type.Literal("critical")]),
  title: Type.String(),
  advice: Type.String(),
});
const Summary = Type.Object({
  run: RunSchema,
  records: Type.Integer(),
  nodes: Type.Array(
    Type.Object({
      node: Type.String(),
      firstRecordAt: Type.String(),
      lastRecordAt: Type.String(),
      lastSeenAt: Type.String(),
      records: Type.Integer(),
      levels: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
  topErrors: Type.Array(
    Type.Object({
      fingerprint: Type.String(),
      template: Type.String(),
      count: Type.Integer(),
      firstSeen: Type.String(),
      lastSeen: Type.String(),
      nodes: Type.Array(Type.String()),
      example: Type.Object({ message: Type.String(), stack: Nullable(Type.String()), node: Type.String() }),
    }),
  ),
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
  findings: Type.Object(
    {
      critical: Type.Integer(),
      warning: Type.Integer(),
      info: Type.Integer(),
      top: Type.Array(Finding),
    },
    { description: "Findings of other features about the run (Spark diagnoses): counts by severity and the most severe" },
  ),
  comparison: Type.Object({
    current: Figures,
    previousRun: Nullable(Figures),
    previousEnvironment: Nullable(Type.Intersect([Figures, Type.Object({ environment: Nullable(Type.String()) })])),
  }),
});

export function summaryRoutes(deps: {
  summary: (id: string) => Promise<RunSummary>;
  alerts: (id: string) => Promise<Static<typeof AlertSchema>[]>;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/runs/:id/summary",
      {
        schema: {
          tags: ["runs"],
          summary: "Run page: duration, nodes, top errors by fingerprint, metrics per node and GPU, alerts, comparison",
          params: RunParams,
          response: { 200: Summary, 404: ErrorBody },
        },
      },
      async (request) => deps.summary(request.params.id),
    );
    app.get(
      "/runs/:id/alerts",
      {
        schema: {
          tags: ["runs"],
          summary: "Alerts of a run (firing and resolved), oldest first",
          params: RunParams,
          response: { 200: Type.Object({ items: Type.Array(AlertSchema) }), 404: ErrorBody },
        },
      },
      async (request) => ({ items: await deps.alerts(request.params.id) }),
    );
  };
}
