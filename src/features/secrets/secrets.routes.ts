import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { actorOf } from "../../http/auth.ts";
import { ErrorBody, Slug } from "../../shared/api.ts";
import type { SecretsService } from "./secrets.service.ts";
import { SecretInfo, SetSecretBody } from "./secrets.types.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const Name = Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z_][A-Za-z0-9_]*$" });

/** Project admins set and delete secrets; nobody reads a value back through the API. */
export function secretsRoutes(secrets: SecretsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put(
      "/projects/:slug/secrets/:name",
      {
        schema: {
          tags: ["secrets"],
          summary: "Set a secret (create or replace) for `${secret:NAME}` in executor configs; the value is never returned",
          params: Type.Object({ slug: Slug, name: Name }),
          body: SetSecretBody,
          response: { 200: SecretInfo, ...errors },
        },
      },
      async (request) =>
        secrets.set({
          project: request.params.slug,
          name: request.params.name,
          value: request.body.value,
          ...(request.body.environment === undefined ? {} : { environment: request.body.environment }),
          actor: actorOf(request).name,
        }),
    );

    app.get(
      "/projects/:slug/secrets",
      {
        schema: {
          tags: ["secrets"],
          summary: "A project's secrets: names, scopes and versions, never the values",
          params: Type.Object({ slug: Slug }),
          response: { 200: Type.Object({ items: Type.Array(SecretInfo) }), ...errors },
        },
      },
      async (request) => ({ items: await secrets.list(request.params.slug) }),
    );

    app.delete(
      "/projects/:slug/secrets/:name",
      {
        schema: {
          tags: ["secrets"],
          summary: "Delete a secret (the project-wide one, or one environment's with ?environment=)",
          params: Type.Object({ slug: Slug, name: Name }),
          querystring: Type.Object({ environment: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await secrets.remove({
          project: request.params.slug,
          name: request.params.name,
          ...(request.query.environment === undefined ? {} : { environment: request.query.environment }),
          actor: actorOf(request).name,
        });
        return reply.code(204).send(null);
      },
    );
  };
}
