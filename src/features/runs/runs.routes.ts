import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody, Page, PageQuery, Slug } from "../../shared/api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { RunsService } from "./runs.service.ts";
import { CreatedRunSchema, CreateRunBody, EndRunBody, RunSchema, RunStatusSchema } from "./runs.types.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export function runsRoutes(deps: { projects: Pick<ProjectsService, "record">; runs: RunsService }): FastifyPluginAsyncTypebox {
  const { projects, runs } = deps;
  return async (app) => {
    app.post(
      "/projects/:slug/runs",
      {
        schema: {
          tags: ["runs"],
          summary: "Start a pipeline run; the answer holds its run-scoped ingest token (shown once)",
          params: Type.Object({ slug: Slug }),
          body: CreateRunBody,
          response: { 201: CreatedRunSchema, ...errors },
        },
      },
      async (request, reply) => {
        const project = await projects.record(request.params.slug);
        reply.code(201);
        return runs.create(project, request.body, request.actor?.name ?? null);
      },
    );

    app.get(
      "/projects/:slug/runs",
      {
        schema: {
          tags: ["runs"],
          summary: "List runs, newest first",
          params: Type.Object({ slug: Slug }),
          querystring: Type.Intersect([
            PageQuery,
            Type.Object({
              name: Type.Optional(Type.String({ maxLength: 200 })),
              environment: Type.Optional(Type.String({ maxLength: 100 })),
              status: Type.Optional(RunStatusSchema),
            }),
          ]),
          response: { 200: Page(RunSchema), ...errors },
        },
      },
      async (request) => {
        const project = await projects.record(request.params.slug);
        const { limit, cursor, ...filter } = request.query;
        return runs.list(project, filter, { limit: limit ?? 50, cursor: decodeCursor(cursor) });
      },
    );

    app.get(
      "/runs/:id",
      { schema: { tags: ["runs"], summary: "One run", params: RunParams, response: { 200: RunSchema, ...errors } } },
      async (request) => runs.present(await runs.getRun(request.params.id)),
    );

    app.post(
      "/runs/:id/end",
      {
        schema: {
          tags: ["runs"],
          summary: "End a running run with its outcome (a run ends once)",
          params: RunParams,
          body: EndRunBody,
          response: { 200: RunSchema, ...errors },
        },
      },
      async (request) => runs.present(await runs.end(request.params.id, request.body.status)),
    );
  };
}
