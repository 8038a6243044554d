import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { type Static, Type } from "typebox";
import { Deployment, EnvironmentName, ErrorBody, Slug } from "../../shared/api.ts";
import { DomainError } from "../../shared/errors.ts";
import type { Actor } from "../../shared/roles.ts";
import { presentDeployment } from "../deployments/deployments.present.ts";
import type { DeploymentsService } from "../deployments/deployments.service.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import type { ApprovalsService } from "./approvals.service.ts";

export const ApprovalStateSchema = Type.Object({
  deploymentId: Type.String(),
  status: Type.String(),
  groups: Type.Array(
    Type.Object({
      name: Type.String(),
      required: Type.Integer(),
      approvedBy: Type.Array(Type.String()),
      satisfied: Type.Boolean(),
    }),
  ),
  decisions: Type.Array(
    Type.Object({
      user: Type.String(),
      decision: Type.String(),
      comment: Type.Union([Type.String(), Type.Null()]),
      at: Type.String(),
    }),
  ),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  waitTimerMs: Type.Integer(),
});
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const Comment = Type.String({ maxLength: 4000 });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

function actor(request: FastifyRequest): Actor {
  const found = request.actor as Actor | null;
  if (!found) throw new DomainError("unauthorized", "Sign in or send a personal API token to decide on approvals");
  return found;
}

export function approvalsRoutes(deps: {
  approvals: ApprovalsService;
  deployments: DeploymentsService;
  projects: ProjectsService;
  releases: ReleasesService;
}): FastifyPluginAsyncTypebox {
  const { approvals } = deps;
  return async (app) => {
    app.post(
      "/deployments/:id/approve",
      {
        schema: {
          tags: ["approvals"],
          summary: "Approve a deployment waiting for approval; the last required approval queues it",
          params: IdParams,
          body: Type.Optional(Type.Object({ comment: Type.Optional(Comment) }, { additionalProperties: false })),
          response: { 200: ApprovalStateSchema, ...errors },
        },
      },
      async (request) =>
        approvals.decide({
          deploymentId: request.params.id,
          actor: actor(request),
          decision: "approve",
          comment: request.body?.comment ?? null,
        }),
    );

    app.post(
      "/deployments/:id/reject",
      {
        schema: {
          tags: ["approvals"],
          summary: "Reject a deployment waiting for approval (a comment is required)",
          params: IdParams,
          body: Type.Object({ comment: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false }),
          response: { 200: ApprovalStateSchema, ...errors },
        },
      },
      async (request) =>
        approvals.decide({
          deploymentId: request.params.id,
          actor: actor(request),
          decision: "reject",
          comment: request.body.comment,
        }),
    );

    app.get(
      "/deployments/:id/approvals",
      {
        schema: {
          tags: ["approvals"],
          summary: "Who approved, which groups are still open, when it expires",
          params: IdParams,
          response: { 200: ApprovalStateSchema, ...errors },
        },
      },
      async (request) => approvals.state(request.params.id),
    );

    app.get(
      "/approvals",
      {
        schema: {
          tags: ["approvals"],
          summary: "Deployments waiting for a decision I may make, across projects (?mine=pending)",
          querystring: Type.Object({ mine: Type.Optional(Type.Literal("pending")) }),
          response: {
            200: Type.Object({ items: Type.Array(Type.Object({ deployment: Deployment, approval: ApprovalStateSchema })) }),
            ...errors,
          },
        },
      },
      async (request) => ({
        items: (await approvals.inbox(actor(request))).map((entry) => ({
          deployment: presentDeployment(entry.deployment),
          approval: entry.state,
        })),
      }),
    );

    const ReleaseApproveBody = Type.Object(
      { environments: Type.Array(EnvironmentName, { minItems: 1, maxItems: 50 }), comment: Type.Optional(Comment) },
      { additionalProperties: false },
    );
    app.post(
      "/projects/:slug/releases/:version/approve",
      {
        schema: {
          tags: ["approvals"],
          summary: "Approve a release's pending deployments in several environments in one call",
          params: Type.Object({ slug: Slug, version: Type.String({ minLength: 1, maxLength: 128 }) }),
          body: ReleaseApproveBody,
          response: { 200: Type.Object({ items: Type.Array(ApprovalStateSchema) }), ...errors },
        },
      },
      async (request) => {
        const body: Static<typeof ReleaseApproveBody> = request.body;
        const project = await deps.projects.record(request.params.slug);
        const release = await deps.releases.record(project, request.params.version);
        const items = [];
        for (const environment of body.environments) {
          const env = await deps.projects.environment(project, environment);
          const pending = (await deps.deployments.pendingApproval([project.id], 200)).find(
            (d) => d.environmentId === env.id && d.releaseId === release.id,
          );
          if (!pending)
            throw new DomainError("invalid_state", `${release.version} is not waiting for approval in ${environment}`);
          items.push(
            await approvals.decide({
              deploymentId: pending.id,
              actor: actor(request),
              decision: "approve",
              comment: body.comment ?? null,
            }),
          );
        }
        return { items };
      },
    );
  };
}
