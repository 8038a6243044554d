import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ApplyConfigResult, CreateProjectBody, ErrorBody, Page, PageQuery, Project, Slug } from "../../shared/api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { ProjectsService } from "./projects.service.ts";

const SlugParams = Type.Object({ slug: Slug });
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export function projectsRoutes(projects: ProjectsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    // stagegate.yaml arrives as YAML text; JSON bodies are parsed by Fastify and turned back into text (JSON is YAML).
    app.addContentTypeParser(
      ["application/yaml", "application/x-yaml", "text/yaml", "text/plain"],
      { parseAs: "string" },
      (_request, body, done) => {
        done(null, body);
      },
    );

    app.post(
      "/projects",
      {
        schema: {
          tags: ["projects"],
          summary: "Create a project",
          body: CreateProjectBody,
          response: { 201: Project, ...errors },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return projects.create(request.body);
      },
    );

    app.get(
      "/projects",
      {
        schema: {
          tags: ["projects"],
          summary: "List projects",
          querystring: PageQuery,
          response: { 200: Page(Project), ...errors },
        },
      },
      async (request) => projects.list({ limit: request.query.limit ?? 50, cursor: decodeCursor(request.query.cursor) }),
    );

    app.get(
      "/projects/:slug",
      { schema: { tags: ["projects"], summary: "Get a project", params: SlugParams, response: { 200: Project, ...errors } } },
      async (request) => projects.get(request.params.slug),
    );

    app.put(
      "/projects/:slug/config",
      {
        schema: {
          tags: ["projects"],
          summary: "Apply stagegate.yaml (YAML or JSON): creates the project if needed and declares its environments",
          params: SlugParams,
          querystring: Type.Object({ prune: Type.Optional(Type.Boolean({ default: false })) }),
          body: Type.Unknown({ description: "stagegate.yaml text (application/yaml) or the same document as JSON" }),
          response: { 200: ApplyConfigResult, ...errors },
        },
      },
      async (request) => {
        const text = typeof request.body === "string" ? request.body : JSON.stringify(request.body ?? null);
        return projects.applyConfig(request.params.slug, text, {
          prune: request.query.prune ?? false,
          ...(request.actor ? { actor: request.actor.name } : {}),
        });
      },
    );

    app.get(
      "/projects/:slug/config",
      {
        schema: {
          tags: ["projects"],
          summary: "The stagegate.yaml last applied",
          params: SlugParams,
          response: { 200: Type.String(), ...errors },
        },
      },
      async (request, reply) => {
        reply.type("application/yaml; charset=utf-8");
        return projects.configSource(request.params.slug);
      },
    );
  };
}
