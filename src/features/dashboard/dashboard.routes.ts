import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { actorOf } from "../../http/auth.ts";
import { ErrorBody, Page, PageQuery, Slug } from "../../shared/api.ts";
import { RoleSchema } from "../../shared/auth.api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { DashboardService } from "./dashboard.service.ts";
import { DoraFigures, DoraQuery, ProjectMatrix, ProjectSummary, Readiness, UiConfig } from "./dashboard.types.ts";

const SlugParams = Type.Object({ slug: Slug });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const MatrixQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export function dashboardRoutes(deps: { dashboard: DashboardService; uiConfig: UiConfig }): FastifyPluginAsyncTypebox {
  const { dashboard } = deps;
  return async (app) => {
    app.get(
      "/ui-config",
      {
        config: { public: true },
        schema: {
          tags: ["dashboard"],
          summary: "What the sign-in page offers (e.g. an OIDC button)",
          response: { 200: UiConfig },
        },
      },
      async () => deps.uiConfig,
    );

    app.get(
      "/project-summaries",
      {
        schema: {
          tags: ["dashboard"],
          summary: "Projects with the release and last status of each environment, for the projects list",
          querystring: PageQuery,
          response: { 200: Page(ProjectSummary), ...errors },
        },
      },
      async (request) =>
        dashboard.summaries({ limit: Math.min(request.query.limit ?? 20, 50), cursor: decodeCursor(request.query.cursor) }),
    );

    app.get(
      "/projects/:slug/matrix",
      {
        schema: {
          tags: ["dashboard"],
          summary: "Environments (what runs, what waits for approval) and one page of releases with their cell per environment",
          params: SlugParams,
          querystring: MatrixQuery,
          response: { 200: ProjectMatrix, ...errors },
        },
      },
      async (request) =>
        dashboard.matrix({
          slug: request.params.slug,
          actor: actorOf(request),
          limit: request.query.limit ?? 25,
          cursor: decodeCursor(request.query.cursor),
        }),
    );

    app.get(
      "/projects/:slug/dora",
      {
        schema: {
          tags: ["dashboard"],
          summary: "DORA figures (deployment frequency, lead time, change failure rate, time to restore) over 7, 30 or 90 days",
          params: SlugParams,
          querystring: DoraQuery,
          response: { 200: DoraFigures, ...errors },
        },
      },
      async (request) =>
        dashboard.dora({
          slug: request.params.slug,
          days: request.query.days ?? 30,
          ...(request.query.environment ? { environment: request.query.environment } : {}),
        }),
    );

    app.get(
      "/projects/:slug/releases/:version/readiness",
      {
        schema: {
          tags: ["dashboard"],
          summary: "Per environment, what would stop promoting this release now: lifecycle, freeze, gates (previewed), lock",
          params: Type.Object({ slug: Slug, version: Type.String({ minLength: 1, maxLength: 128 }) }),
          response: { 200: Readiness, ...errors },
        },
      },
      async (request) => dashboard.readiness(request.params.slug, request.params.version),
    );

    app.get(
      "/projects/:slug/my-role",
      {
        schema: {
          tags: ["dashboard"],
          summary: "The caller's role in a project (what the dashboard may offer them)",
          params: SlugParams,
          response: {
            200: Type.Object({
              project: Type.String(),
              username: Type.String(),
              role: Type.Union([RoleSchema, Type.Null()]),
              globalAdmin: Type.Boolean(),
            }),
            ...errors,
          },
        },
      },
      async (request) => dashboard.role(request.params.slug, actorOf(request)),
    );
  };
}
