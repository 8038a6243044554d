import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { ErrorBody } from "../../shared/api.ts";
import { AlertSchema, type RunSummary, RunSummarySchema } from "../../shared/runs.api.ts";

const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
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
          response: { 200: RunSummarySchema, 404: ErrorBody },
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
