import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody } from "../../shared/api.ts";
import { DomainError } from "../../shared/errors.ts";
import type { Actor } from "../../shared/roles.ts";
import type { DeploymentsService } from "../deployments/deployments.service.ts";
import { approvalPageLocation, renderLinkError } from "./approval-links.page.ts";
import type { ApprovalLinks } from "./approval-links.service.ts";
import { ApprovalStateSchema } from "./approvals.routes.ts";

const TokenParams = Type.Object({ token: Type.String({ minLength: 10, maxLength: 2000 }) });

/**
 * `GET /approve/:token` (outside /api, no state change): a valid link redirects to the dashboard's approval page, which
 * signs the person in when needed and comes back; a link that cannot be used gets a page saying why.
 */
export function approvalLinkPageRoutes(deps: {
  links: ApprovalLinks;
  deployments: DeploymentsService;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/approve/:token", { schema: { hide: true, params: TokenParams } }, async (request, reply) => {
      reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer");
      try {
        const link = await deps.links.read(request.params.token);
        await deps.deployments.record(link.deploymentId);
        return reply.redirect(
          approvalPageLocation({ deploymentId: link.deploymentId, action: link.action, token: request.params.token }),
          303,
        );
      } catch (error) {
        reply.code(error instanceof DomainError && error.code.endsWith("not_found") ? 404 : 400);
        reply.type("text/html; charset=utf-8");
        return renderLinkError(error instanceof Error ? error.message : "This link cannot be used");
      }
    });
  };
}

/** `POST /api/v1/approval-links/:token`: the signed-in person confirms; the link is spent. */
export function approvalLinkApiRoutes(deps: { links: ApprovalLinks }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      "/approval-links/:token",
      {
        schema: {
          tags: ["approvals"],
          summary: "Decide through a notification's signed, single-use link (after signing in)",
          params: TokenParams,
          body: Type.Optional(
            Type.Object({ comment: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }),
          ),
          response: { 200: ApprovalStateSchema, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
        },
      },
      async (request) => {
        const actor = request.actor as Actor | null;
        if (!actor) throw new DomainError("unauthorized", "Sign in to decide on this deployment");
        return deps.links.use(request.params.token, actor, request.body?.comment ?? null);
      },
    );
  };
}
