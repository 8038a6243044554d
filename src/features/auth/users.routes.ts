import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { actorOf } from "../../http/auth.ts";
import { ErrorBody, Page, PageQuery, Slug } from "../../shared/api.ts";
import { CreateUserBody, Member, SetMemberBody, User, Username } from "../../shared/auth.api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { UsersService } from "./users.service.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const SlugParams = Type.Object({ slug: Slug });

export function usersRoutes(users: UsersService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/users",
      {
        schema: {
          tags: ["users"],
          summary: "Create a user (global admins)",
          body: CreateUserBody,
          response: { 201: User, ...errors },
        },
      },
      async (request, reply) => {
        const user = await users.createUser(request.body, actorOf(request));
        reply.code(201);
        return user;
      },
    );

    app.get(
      "/users",
      {
        schema: {
          tags: ["users"],
          summary: "List users by username (global admins)",
          querystring: PageQuery,
          response: { 200: Page(User), ...errors },
        },
      },
      async (request) =>
        users.listUsers({ limit: request.query.limit ?? 50, cursor: decodeCursor(request.query.cursor) }, actorOf(request)),
    );

    app.put(
      "/users/:username/password",
      {
        schema: {
          tags: ["users"],
          summary: "Set a password (your own, or anyone's as a global admin)",
          params: Type.Object({ username: Username }),
          body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await users.setPassword({ username: request.params.username, password: request.body.password }, actorOf(request));
        return reply.code(204).send(null);
      },
    );

    for (const [verb, disabled] of [
      ["disable", true],
      ["enable", false],
    ] as const) {
      app.post(
        `/users/:username/${verb}`,
        {
          schema: {
            tags: ["users"],
            summary: disabled
              ? "Disable a user (global admins): sign-in, sessions and personal tokens stop working at once"
              : "Enable a disabled user again (global admins); they sign in anew",
            params: Type.Object({ username: Username }),
            response: { 200: User, ...errors },
          },
        },
        async (request) => users.setDisabled({ username: request.params.username, disabled }, actorOf(request)),
      );
    }

    app.get(
      "/projects/:slug/members",
      {
        schema: {
          tags: ["users"],
          summary: "Members of a project with their roles",
          params: SlugParams,
          response: { 200: Type.Object({ items: Type.Array(Member) }), ...errors },
        },
      },
      async (request) => users.listMembers(request.params.slug),
    );

    app.put(
      "/projects/:slug/members",
      {
        schema: {
          tags: ["users"],
          summary: "Add a user to a project or change their role there",
          params: SlugParams,
          body: SetMemberBody,
          response: { 200: Member, ...errors },
        },
      },
      async (request) => users.setMember(request.params.slug, request.body, actorOf(request)),
    );

    app.delete(
      "/projects/:slug/members/:username",
      {
        schema: {
          tags: ["users"],
          summary: "Remove a user from a project",
          params: Type.Object({ slug: Slug, username: Username }),
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await users.removeMember(request.params.slug, request.params.username, actorOf(request));
        return reply.code(204).send(null);
      },
    );
  };
}
