import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { CreatedToken, CreateTokenBody, ErrorBody } from "../../shared/api.ts";
import type { TokensService } from "./tokens.service.ts";

export function tokensRoutes(tokens: TokensService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/tokens",
      {
        schema: {
          tags: ["tokens"],
          summary: "Create an API token; the secret is in this response only",
          body: CreateTokenBody,
          response: { 201: CreatedToken, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request, reply) => {
        const created = await tokens.create({
          name: request.body.name,
          expiresInDays: request.body.expiresInDays,
          createdBy: request.actor?.name ?? null,
        });
        reply.code(201);
        return {
          id: created.id,
          name: created.name,
          token: created.token,
          expiresAt: created.expiresAt,
          createdAt: created.createdAt,
        };
      },
    );
  };
}
