import { Readable } from "node:stream";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { Kysely } from "kysely";
import { Type } from "typebox";
import type { Database } from "../../db/schema.ts";
import { bearerToken } from "../../http/auth.ts";
import { idempotent } from "../../http/idempotency.ts";
import {
  CallbackBody,
  Deployment,
  DeploymentListQuery,
  Environment,
  EnvironmentName,
  ErrorBody,
  Page,
  ProjectStatus,
  PromoteBody,
  ReleaseDetail,
  Slug,
} from "../../shared/api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import { type Actor, atLeast, roleIn } from "../../shared/roles.ts";
import type { DeploymentQueries } from "./deployments.queries.ts";
import type { DeploymentsService } from "./deployments.service.ts";

const SlugParams = Type.Object({ slug: Slug });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export function deploymentsRoutes(deps: {
  db: Kysely<Database>;
  deployments: DeploymentsService;
  queries: DeploymentQueries;
}): FastifyPluginAsyncTypebox {
  const { deployments, queries } = deps;
  return async (app) => {
    app.get(
      "/projects/:slug/environments",
      {
        schema: {
          tags: ["environments"],
          summary: "Environments in lifecycle order, with what runs there",
          params: SlugParams,
          response: { 200: Type.Object({ items: Type.Array(Environment) }), ...errors },
        },
      },
      async (request) => queries.environments(request.params.slug),
    );

    app.get(
      "/projects/:slug/status",
      {
        schema: {
          tags: ["environments"],
          summary: "The environment × release matrix",
          params: SlugParams,
          response: { 200: ProjectStatus, ...errors },
        },
      },
      async (request) => queries.status(request.params.slug),
    );

    app.get(
      "/projects/:slug/releases/:version",
      {
        schema: {
          tags: ["releases"],
          summary: "A release with its deployments per environment",
          params: Type.Object({ slug: Slug, version: Type.String({ minLength: 1, maxLength: 128 }) }),
          response: { 200: ReleaseDetail, ...errors },
        },
      },
      async (request) => queries.releaseDetail(request.params.slug, request.params.version),
    );

    app.post(
      "/projects/:slug/releases/:version/promote",
      {
        schema: {
          tags: ["deployments"],
          summary: "Promote a release to an environment (honours Idempotency-Key)",
          description:
            "201 with a new deployment; 200 with the existing one when the release is already queued, running or live there.",
          params: Type.Object({ slug: Slug, version: Type.String({ minLength: 1, maxLength: 128 }) }),
          body: PromoteBody,
          response: { 200: Deployment, 201: Deployment, 422: ErrorBody, ...errors },
        },
      },
      async (request, reply) =>
        idempotent(deps.db, request, reply, async () => {
          const { deployment, created } = await deployments.promote({
            slug: request.params.slug,
            version: request.params.version,
            environment: request.body.environment,
            actor: request.actor?.name ?? null,
            ...(request.body.override ? { override: request.body.override } : {}),
            mayOverride: (projectId: string) =>
              request.actor !== null && atLeast(roleIn(request.actor as Actor, projectId), "admin"),
          });
          return { statusCode: created ? 201 : 200, body: deployment };
        }),
    );

    app.post(
      "/projects/:slug/environments/:env/rollback",
      {
        schema: {
          tags: ["deployments"],
          summary: "Re-deploy the previous succeeded release of an environment (kind rollback)",
          params: Type.Object({ slug: Slug, env: EnvironmentName }),
          response: { 200: Deployment, 201: Deployment, 422: ErrorBody, ...errors },
        },
      },
      async (request, reply) =>
        idempotent(deps.db, request, reply, async () => {
          const { deployment, created } = await deployments.rollback({
            slug: request.params.slug,
            environment: request.params.env,
            actor: request.actor?.name ?? null,
          });
          return { statusCode: created ? 201 : 200, body: deployment };
        }),
    );

    app.get(
      "/projects/:slug/deployments",
      {
        schema: {
          tags: ["deployments"],
          summary: "Deployments, newest first",
          params: SlugParams,
          querystring: DeploymentListQuery,
          response: { 200: Page(Deployment), ...errors },
        },
      },
      async (request) =>
        queries.list({
          slug: request.params.slug,
          environment: request.query.environment,
          status: request.query.status,
          limit: request.query.limit ?? 50,
          cursor: decodeCursor(request.query.cursor),
        }),
    );

    app.get(
      "/deployments/:id",
      { schema: { tags: ["deployments"], summary: "A deployment", params: IdParams, response: { 200: Deployment, ...errors } } },
      async (request) => deployments.get(request.params.id),
    );

    app.post(
      "/deployments/:id/cancel",
      {
        schema: {
          tags: ["deployments"],
          summary: "Cancel a waiting or running deployment",
          params: IdParams,
          response: { 200: Deployment, ...errors },
        },
      },
      async (request) => deployments.cancel(request.params.id, request.actor?.name ?? null),
    );

    app.post(
      "/deployments/:id/callback",
      {
        config: { public: true },
        schema: {
          tags: ["deployments"],
          summary: "A webhook target reports its outcome (Authorization: Bearer <the deployment's callback token>)",
          params: IdParams,
          body: CallbackBody,
          response: { 202: Deployment, ...errors },
        },
      },
      async (request, reply) => {
        const deployment = await deployments.callback(request.params.id, bearerToken(request), request.body);
        reply.code(202);
        return deployment;
      },
    );

    app.get(
      "/deployments/:id/log",
      {
        schema: {
          tags: ["deployments"],
          summary:
            "The deployment log as text, one `<time> <stream> <line>` per line; ?follow=1 streams until the deployment ends",
          params: IdParams,
          querystring: Type.Object({ follow: Type.Optional(Type.Union([Type.Boolean(), Type.Literal(1), Type.Literal(0)])) }),
          response: { 200: Type.Unknown({ description: "text/plain" }), ...errors },
        },
      },
      async (request, reply) => {
        await deployments.record(request.params.id);
        const stop = new AbortController();
        request.raw.on("close", () => stop.abort());
        const follow = request.query.follow === true || request.query.follow === 1;
        reply.type("text/plain; charset=utf-8").header("cache-control", "no-store").header("x-accel-buffering", "no");
        return reply.send(Readable.from(queries.logText(request.params.id, { follow, signal: stop.signal })));
      },
    );
  };
}
