import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { actorOf } from "../../http/auth.ts";
import { ErrorBody, Page, PageQuery } from "../../shared/api.ts";
import { CreatedToken, CreateTokenBody, TokenInfo } from "../../shared/auth.api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { TokensService } from "./tokens.service.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export function tokensRoutes(tokens: TokensService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/tokens",
      {
        schema: {
          tags: ["tokens"],
          summary: "Create an API token (personal by default for a user); the secret is in this response only",
          body: CreateTokenBody,
          response: { 201: CreatedToken, ...errors },
        },
      },
      async (request, reply) => {
        const created = await tokens.create(request.body, actorOf(request));
        reply.code(201);
        return created;
      },
    );

    app.get(
      "/tokens",
      {
        schema: {
          tags: ["tokens"],
          summary: "Your tokens (every token for a global admin), newest first; never the secrets",
          querystring: PageQuery,
          response: { 200: Page(TokenInfo), ...errors },
        },
      },
      async (request) =>
        tokens.list({ limit: request.query.limit ?? 50, cursor: decodeCursor(request.query.cursor) }, actorOf(request)),
    );

    app.delete(
      "/tokens/:id",
      {
        schema: {
          tags: ["tokens"],
          summary: "Revoke a token (its owner or a global admin); it stops working at once",
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await tokens.revoke(request.params.id, actorOf(request));
        return reply.code(204).send(null);
      },
    );
  };
}
