import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody, Page, Slug } from "../../shared/api.ts";
import { DomainError } from "../../shared/errors.ts";
import { FlagChangeDecisionBody, FlagChangeQuery, FlagChangeRequest } from "../../shared/flags/flags.api.ts";
import type { Actor } from "../../shared/roles.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { FlagChanges } from "./flags.changes.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const ChangeParams = Type.Object({ slug: Slug, id: Type.String({ minLength: 1, maxLength: 100 }) });
const tags = ["flags"];

/** Flag change requests: scheduled changes and changes waiting for approval; list, approve, reject, cancel. */
export function flagChangesRoutes(deps: { changes: FlagChanges; projects: ProjectsService }): FastifyPluginAsyncTypebox {
  const { changes, projects } = deps;
  const actorOf = (request: { actor: Actor | null }): Actor => {
    if (!request.actor) throw new DomainError("unauthorized", "Sign in or send a token");
    return request.actor;
  };

  return async (app) => {
    app.get(
      "/projects/:slug/flag-changes",
      {
        schema: {
          tags,
          summary: "Flag change requests, newest first: scheduled, waiting for approval, and what became of them",
          params: Type.Object({ slug: Slug }),
          querystring: FlagChangeQuery,
          response: { 200: Page(FlagChangeRequest), ...errors },
        },
      },
      async (request) => {
        const project = await projects.record(request.params.slug);
        return changes.list(project, { ...request.query, limit: request.query.limit ?? 50 });
      },
    );

    app.get(
      "/projects/:slug/flag-changes/:id",
      {
        schema: {
          tags,
          summary: "One flag change request",
          params: ChangeParams,
          response: { 200: FlagChangeRequest, ...errors },
        },
      },
      async (request) => changes.get(await projects.record(request.params.slug), request.params.id),
    );

    for (const decision of ["approve", "reject"] as const) {
      app.post(
        `/projects/:slug/flag-changes/:id/${decision}`,
        {
          schema: {
            tags,
            summary:
              decision === "approve"
                ? "Approve a flag change; the last required approval applies it (or schedules it for its time)"
                : "Reject a flag change (a comment is required)",
            params: ChangeParams,
            body: Type.Optional(FlagChangeDecisionBody),
            response: { 200: FlagChangeRequest, ...errors },
          },
        },
        async (request) =>
          changes.decide({
            project: await projects.record(request.params.slug),
            id: request.params.id,
            actor: actorOf(request),
            decision,
            comment: request.body?.comment ?? null,
          }),
      );
    }

    app.post(
      "/projects/:slug/flag-changes/:id/cancel",
      {
        schema: {
          tags,
          summary: "Cancel a scheduled or pending flag change (its author or an approver)",
          params: ChangeParams,
          response: { 200: FlagChangeRequest, ...errors },
        },
      },
      async (request) => changes.cancel(await projects.record(request.params.slug), request.params.id, actorOf(request)),
    );
  };
}
