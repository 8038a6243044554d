import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { CreateReleaseBody, ErrorBody, Page, PageQuery, Release, Slug } from "../../shared/api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReleasesService } from "./releases.service.ts";

const SlugParams = Type.Object({ slug: Slug });
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export function releasesRoutes(deps: { projects: ProjectsService; releases: ReleasesService }): FastifyPluginAsyncTypebox {
  const { projects, releases } = deps;
  return async (app) => {
    app.post(
      "/projects/:slug/releases",
      {
        schema: {
          tags: ["releases"],
          summary: "Register an immutable release (201), or get the identical existing one (200)",
          params: SlugParams,
          body: CreateReleaseBody,
          response: { 200: Release, 201: Release, ...errors },
        },
      },
      async (request, reply) => {
        const project = await projects.record(request.params.slug);
        const { release, created } = await releases.create(project, request.body, request.actor?.name ?? null);
        reply.code(created ? 201 : 200);
        return release;
      },
    );

    app.get(
      "/projects/:slug/releases",
      {
        schema: {
          tags: ["releases"],
          summary: "List releases, newest first",
          params: SlugParams,
          querystring: PageQuery,
          response: { 200: Page(Release), ...errors },
        },
      },
      async (request) => {
        const project = await projects.record(request.params.slug);
        return releases.list(project, { limit: request.query.limit ?? 50, cursor: decodeCursor(request.query.cursor) });
      },
    );
  };
}
