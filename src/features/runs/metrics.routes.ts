import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { invalid } from "../../shared/errors.ts";
import { MetricAnswerSchema } from "../../shared/runs.api.ts";
import { bearerOf, type IngestAuth } from "./ingest.auth.ts";
import { acceptBodies, authorizeFirst, INGEST_ERRORS, registerTextBodies } from "./ingest-body.routes.ts";
import { ingestLimit } from "./ingest-limit.routes.ts";
import type { MetricsService } from "./metrics.service.ts";
import type { RunsService } from "./runs.service.ts";

const errors = INGEST_ERRORS;
/** The text exposition format is served as `text/plain; version=0.0.4`. */
const PROMETHEUS_TYPES = ["text/plain"] as const;
const NVIDIA_SMI_TYPES = ["text/csv", "text/plain"] as const;
const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const IngestResult = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  clamped: Type.Integer({ description: "samples stamped too far in the future or past, stored at the time they arrived" }),
  errors: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })),
});
function time(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(`${field} must be an ISO-8601 time or epoch milliseconds`, { field });
  return ms;
}

export function metricsRoutes(deps: { runs: RunsService; metrics: MetricsService; auth: IngestAuth }): FastifyPluginAsyncTypebox {
  const { runs, metrics, auth } = deps;
  return async (app) => {
    // gzip bodies are decompressed here, up to the route's body limit (see ingest-body.routes.ts).
    registerTextBodies(app, [...new Set([...PROMETHEUS_TYPES, ...NVIDIA_SMI_TYPES])]);

    app.post(
      "/runs/:id/metrics/prometheus",
      {
        config: { public: true },
        onRequest: ingestLimit(auth),
        preParsing: [acceptBodies(PROMETHEUS_TYPES), authorizeFirst(auth)],
        schema: {
          tags: ["runs"],
          summary:
            "Push a Prometheus text exposition scrape (DCGM, nvidia_gpu_exporter, node exporter) into the run " +
            "(text/plain, gzip allowed)",
          params: RunParams,
          querystring: Type.Object({ node: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
          body: Type.String(),
          response: { 200: IngestResult, ...errors },
        },
      },
      async (request) => {
        const run = await auth.authorize(bearerOf(request.headers.authorization), request.params.id);
        return metrics.ingestPrometheus(run, request.body, request.query.node);
      },
    );

    app.post(
      "/runs/:id/metrics/nvidia-smi",
      {
        config: { public: true },
        onRequest: ingestLimit(auth),
        preParsing: [acceptBodies(NVIDIA_SMI_TYPES), authorizeFirst(auth)],
        schema: {
          tags: ["runs"],
          summary:
            "Push `nvidia-smi --query-gpu=… --format=csv` output (units, [N/A], several GPUs, repeated samples) " +
            "(text/csv or text/plain, gzip allowed)",
          params: RunParams,
          querystring: Type.Object({
            node: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            intervalMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
          }),
          body: Type.String(),
          response: { 200: IngestResult, ...errors },
        },
      },
      async (request) => {
        const run = await auth.authorize(bearerOf(request.headers.authorization), request.params.id);
        return metrics.ingestNvidiaSmi(run, request.body, request.query);
      },
    );

    app.get(
      "/runs/:id/metrics",
      {
        schema: {
          tags: ["runs"],
          summary: "One metric of a run, per node and GPU, downsampled to at most `buckets` min/avg/max buckets",
          params: RunParams,
          querystring: Type.Object({
            name: Type.String({ minLength: 1, maxLength: 300 }),
            from: Type.Optional(Type.String({ maxLength: 40 })),
            to: Type.Optional(Type.String({ maxLength: 40 })),
            buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
            node: Type.Optional(Type.String({ maxLength: 200 })),
            gpu: Type.Optional(Type.String({ maxLength: 100 })),
          }),
          response: {
            200: MetricAnswerSchema,
            ...errors,
          },
        },
      },
      async (request) => {
        const run = await runs.getRun(request.params.id);
        const { from, to, ...rest } = request.query;
        const fromMs = time(from, "from");
        const toMs = time(to, "to");
        return metrics.query(run, {
          ...rest,
          ...(fromMs !== undefined ? { from: fromMs } : {}),
          ...(toMs !== undefined ? { to: toMs } : {}),
        });
      },
    );
  };
}
