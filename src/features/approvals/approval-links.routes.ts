import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody } from "../../shared/api.ts";
import { DomainError } from "../../shared/errors.ts";
import type { Actor } from "../../shared/roles.ts";
import type { DeploymentsService } from "../deployments/deployments.service.ts";
import { escapeHtml, renderLinkPage } from "./approval-links.page.ts";
import type { ApprovalLinks } from "./approval-links.service.ts";
import { ApprovalStateSchema } from "./approvals.routes.ts";

const TokenParams = Type.Object({ token: Type.String({ minLength: 10, maxLength: 2000 }) });

/** `GET /approve/:token`: the confirmation page (outside /api, no state change). */
export function approvalLinkPageRoutes(deps: {
  links: ApprovalLinks;
  deployments: DeploymentsService;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/approve/:token", { schema: { hide: true, params: TokenParams } }, async (request, reply) => {
      reply.type("text/html; charset=utf-8").header("cache-control", "no-store").header("referrer-policy", "no-referrer");
      try {
        const link = await deps.links.read(request.params.token);
        const d = await deps.deployments.record(link.deploymentId);
        return renderLinkPage({
          token: request.params.token,
          action: link.action,
          project: d.projectSlug,
          release: d.releaseVersion,
          environment: d.environmentName,
          status: d.status,
          expiresAt: link.expiresAt,
        });
      } catch (error) {
        reply.code(error instanceof DomainError && error.code.endsWith("not_found") ? 404 : 400);
        const message = error instanceof Error ? error.message : "This link cannot be used";
        return `<!doctype html><meta charset="utf-8"><title>stagegate</title><p role="alert">${escapeHtml(message)}</p>`;
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
