import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyError, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { ErrorBody, Page, PageQuery, Slug } from "../../shared/api.ts";
import { DomainError, invalid } from "../../shared/errors.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { bearerOf, type IngestAuth, runActor } from "./ingest.auth.ts";
import type { RunsService } from "./runs.service.ts";
import { CreatedRunSchema, CreateRunBody, EndRunBody, RunSchema, RunStatusSchema } from "./runs.types.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const END_STATUSES = ["succeeded", "failed", "unknown"];

/** `body.status must be one of …` instead of AJV's "must be equal to constant" for each member of the union. */
function endBodyError(error: FastifyError): Error {
  const issues = (error.validation ?? []) as { instancePath?: string; params?: Record<string, unknown> }[];
  const status = issues.some((i) => i.instancePath === "/status" || i.params?.missingProperty === "status");
  if (!status) return error;
  const allowed = END_STATUSES.join(", ");
  return invalid(`body.status must be one of ${allowed}`, {
    fields: [{ field: "body.status", message: `must be one of ${allowed}` }],
    allowed: END_STATUSES,
  });
}

export interface RunsRoutesDeps {
  projects: Pick<ProjectsService, "record">;
  runs: RunsService;
  /**
   * With it, `POST /runs/:id/end` also takes the run's own ingest token (a job ends its run with the token it logs
   * with); the route then authenticates itself, as the ingest routes do.
   */
  auth?: Pick<IngestAuth, "credentials">;
}

export function runsRoutes(deps: RunsRoutesDeps): FastifyPluginAsyncTypebox {
  const { projects, runs, auth } = deps;

  /**
   * Who ends the run: an API token's actor, checked against ROUTE_ROLES by the authorization hook as for any route;
   * or the run's own ingest token, which acts as a developer of that one run (another run's token is refused here).
   */
  async function endCaller(request: FastifyRequest<{ Params: { id: string } }>): Promise<void> {
    if (!auth) return;
    const credentials = await auth.credentials(bearerOf(request.headers.authorization));
    if (credentials.kind === "actor") {
      request.actor = credentials.actor;
      return;
    }
    if (credentials.run.id !== request.params.id) {
      throw new DomainError(
        "unauthorized",
        `The ingest token belongs to run ${credentials.run.id}, not ${request.params.id}; a run token ends only its own run`,
      );
    }
    request.actor = runActor(credentials.run);
  }

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
        // The API-token hook does not know run tokens: with `auth`, this route authenticates the caller itself.
        config: { public: auth !== undefined },
        onRequest: endCaller,
        // A bad status is answered with the allowed values (below), after the caller is known.
        attachValidation: true,
        schema: {
          tags: ["runs"],
          summary:
            "End a running run with its outcome: succeeded, failed or unknown (a run ends once). An API token with the developer role, or the run's own ingest token",
          params: RunParams,
          body: EndRunBody,
          response: { 200: RunSchema, ...errors },
        },
      },
      async (request) => {
        if (request.validationError) throw endBodyError(request.validationError as FastifyError);
        return runs.present(await runs.end(request.params.id, request.body.status, request.actor?.name ?? null));
      },
    );
  };
}
