import type { FastifyInstance, FastifyRequest } from "fastify";
import { DomainError, notFound } from "../shared/errors.ts";
import { type Actor, atLeast, type Role, roleIn } from "../shared/roles.ts";

/** What a route needs: a role in the project the request is about, global admin, any signed-in caller, or nothing. */
export type Need = { project: Role } | "global_admin" | "authenticated" | "public";

const viewer: Need = { project: "viewer" };
const developer: Need = { project: "developer" };
const approver: Need = { project: "approver" };
const admin: Need = { project: "admin" };

/**
 * The one table of who may call what. Keys are `METHOD url` as registered (after the /api/v1 prefix). A route missing
 * here is refused for everyone (and a test fails), so a new route cannot be open by accident.
 */
export const ROUTE_ROLES: Record<string, Need> = {
  "POST /projects": "global_admin",
  "GET /projects": "authenticated",
  "GET /projects/:slug": viewer,
  "PUT /projects/:slug/config": admin,
  "GET /projects/:slug/config": viewer,
  "GET /projects/:slug/environments": viewer,
  "GET /projects/:slug/status": viewer,
  "POST /projects/:slug/releases": developer,
  "GET /projects/:slug/releases": viewer,
  "GET /projects/:slug/releases/:version": viewer,
  "POST /projects/:slug/releases/:version/promote": developer,
  "POST /projects/:slug/releases/:version/approve": approver,
  "POST /projects/:slug/environments/:env/rollback": developer,
  "GET /projects/:slug/deployments": viewer,
  "GET /deployments/:id": viewer,
  "POST /deployments/:id/cancel": developer,
  "GET /deployments/:id/log": viewer,
  "GET /deployments/:id/gates": viewer,
  "GET /deployments/:id/approvals": viewer,
  "POST /deployments/:id/approve": approver,
  "POST /deployments/:id/reject": approver,
  "POST /deployments/:id/callback": "public",
  "GET /approvals": "authenticated",
  "POST /approval-links/:token": "authenticated",
  "POST /projects/:slug/report-runs": developer,
  "GET /projects/:slug/report-runs": viewer,
  "PUT /report-runs/:id/files/:name": developer,
  "POST /report-runs/:id/complete": developer,
  "GET /report-runs/:id": viewer,
  "GET /report-runs/:id/tests": viewer,
  "GET /report-runs/:id/tests/:caseId": viewer,
  "GET /report-runs/:id/coverage": viewer,
  "GET /projects/:slug/commits/:sha/report": viewer,
  "GET /projects/:slug/flaky-tests": viewer,
  "GET /projects/:slug/tests/:key/history": viewer,
  "GET /projects/:slug/report-trends": viewer,
  "POST /tokens": "authenticated",
  "GET /tokens": "authenticated",
  "DELETE /tokens/:id": "authenticated",
  "POST /users": "global_admin",
  "GET /users": "global_admin",
  "PUT /users/:username/password": "authenticated",
  "GET /projects/:slug/members": viewer,
  "PUT /projects/:slug/members": admin,
  "DELETE /projects/:slug/members/:username": admin,
  "POST /session": "public",
  "GET /session": "public",
  "DELETE /session": "public",
  "GET /auth/providers": "public",
  "GET /auth/oidc/login": "public",
  "GET /auth/oidc/callback": "public",
  "POST /users/:username/disable": "global_admin",
  "POST /users/:username/enable": "global_admin",
  "GET /audit": "global_admin",
  "GET /audit/verify": "global_admin",
  "GET /audit/export": "global_admin",
  "GET /notifications/deliveries": "global_admin",
  "GET /projects/:slug/notification-channels": admin,
  "GET /projects/:slug/events": viewer,
  "POST /projects/:slug/notification-channels/:channel/test": admin,
  "POST /projects/:slug/flags": developer,
  "GET /projects/:slug/flags": viewer,
  "GET /projects/:slug/flags/:key": viewer,
  "PATCH /projects/:slug/flags/:key": developer,
  "PUT /projects/:slug/environments/:env/flags/:key": developer,
  "POST /projects/:slug/environments/:env/flags/:key/enable": developer,
  "POST /projects/:slug/environments/:env/flags/:key/disable": developer,
  "PUT /projects/:slug/environments/:env/flags/:key/rollout": developer,
  "POST /projects/:slug/flag-promotions": developer,
  "GET /projects/:slug/environments/:env/flag-versions": viewer,
  "POST /projects/:slug/environments/:env/flag-restores": developer,
  "GET /projects/:slug/environments/:env/flags/snapshot": viewer,
  "GET /projects/:slug/flag-segments": viewer,
  "PUT /projects/:slug/flag-segments/:key": developer,
  "DELETE /projects/:slug/flag-segments/:key": developer,
  "GET /projects/:slug/flag-reports/stale": viewer,
  "GET /projects/:slug/flag-changes": viewer,
  "GET /projects/:slug/flag-changes/:id": viewer,
  "POST /projects/:slug/flag-changes/:id/approve": approver,
  "POST /projects/:slug/flag-changes/:id/reject": approver,
  "POST /projects/:slug/flag-changes/:id/cancel": developer,
  "POST /projects/:slug/environments/:env/sdk-keys": admin,
  "GET /projects/:slug/sdk-keys": admin,
  "DELETE /projects/:slug/sdk-keys/:id": admin,
  "PUT /projects/:slug/releases/:version/flags": developer,
  "GET /projects/:slug/releases/:version/flags": viewer,
  // OFREP and SDK sync: outside /api/v1, authenticated by an environment-scoped SDK key in the route itself.
  "POST /ofrep/v1/evaluate/flags/:key": "public",
  "POST /ofrep/v1/evaluate/flags": "public",
  "GET /ofrep/v1/events": "public",
  "GET /sdk/v1/flags": "public",
  "POST /sdk/v1/flags/evaluated": "public",
  "PUT /projects/:slug/secrets/:name": admin,
  "GET /projects/:slug/secrets": admin,
  "DELETE /projects/:slug/secrets/:name": admin,
  "POST /projects/:slug/runs": developer,
  "GET /projects/:slug/runs": viewer,
  "GET /runs/:id": viewer,
  "POST /runs/:id/end": developer,
  // Ingest checks its own credentials: the run's ingest token or an API token with the developer role.
  "POST /runs/:id/logs": "public",
  "GET /runs/:id/logs": viewer,
  "GET /runs/:id/logs/tail": viewer,
  "POST /runs/:id/metrics/prometheus": "public",
  "POST /runs/:id/metrics/nvidia-smi": "public",
  "GET /runs/:id/metrics": viewer,
  "GET /runs/:id/summary": viewer,
  "GET /runs/:id/alerts": viewer,
  "PUT /runs/:id/spark/:name": developer,
  "GET /runs/:id/spark": viewer,
  "GET /runs/:id/spark/:name": viewer,
  // OTLP/HTTP receivers (outside /api/v1) check the ingest token or API token themselves.
  "POST /v1/logs": "public",
  "POST /v1/metrics": "public",
  "GET /ui-config": "public",
  "GET /project-summaries": "authenticated",
  "GET /projects/:slug/matrix": viewer,
  "GET /projects/:slug/dora": viewer,
  "GET /projects/:slug/my-role": viewer,
  "GET /projects/:slug/releases/:version/readiness": viewer,
};

export const API_PREFIX = "/api/v1";

/** Finds the project a request is about, from its `:slug` or the resource its `:id` names; undefined when it does not exist. */
export type ProjectResolver = (request: FastifyRequest) => Promise<string | undefined>;

export function needOf(method: string, url: string): Need | undefined {
  return ROUTE_ROLES[`${method} ${url.startsWith(API_PREFIX) ? url.slice(API_PREFIX.length) : url}`];
}

function forbidden(actor: Actor, what: string): DomainError {
  return new DomainError("forbidden", `${actor.name} may not ${what}`);
}

/**
 * The 404 the route itself gives for a project or resource that does not exist, word for word (the services' messages;
 * test/e2e/security.e2e.test.ts compares both answers), for a caller who has no role in the project it belongs to.
 */
function asIfMissing(request: FastifyRequest): DomainError {
  const params = request.params as Record<string, string | undefined>;
  const url = request.routeOptions.url ?? "";
  const { slug, id } = params;
  if (slug !== undefined) return notFound("project_not_found", `Project "${slug}" does not exist`, { project: slug });
  if (id !== undefined && url.includes("/deployments/"))
    return notFound("deployment_not_found", `Deployment ${id} does not exist`, { id });
  if (id !== undefined && url.includes("/report-runs/"))
    return notFound("report_run_not_found", `Report run ${id} does not exist`, { id });
  if (id !== undefined && url.includes("/runs/")) return notFound("run_not_found", `Run ${id} does not exist`, { run: id });
  return notFound("not_found", `Nothing found at ${request.method} ${request.url.split("?")[0]}`);
}

/** Checks every /api/v1 request against ROUTE_ROLES after authentication. */
export function registerAuthorization(app: FastifyInstance, resolveProject: ProjectResolver): void {
  app.addHook("preHandler", async (request) => {
    const url = request.routeOptions.url;
    if (!url?.startsWith(API_PREFIX)) return;
    const need = needOf(request.method, url);
    if (need === undefined)
      throw new DomainError("forbidden", `${request.method} ${url} declares no role, so nobody may call it`);
    if (need === "public") return;
    const actor = request.actor as Actor | null;
    if (!actor) throw new DomainError("unauthorized", "Send an API token (Authorization: Bearer …) or sign in");
    if (need === "authenticated") return;
    if (need === "global_admin") {
      if (!actor.globalAdmin) throw forbidden(actor, `${request.method} ${url}: it needs a global admin`);
      return;
    }
    const projectId = await resolveProject(request);
    if (projectId === undefined) return; // the route answers 404 itself
    const role = roleIn(actor, projectId);
    // No role at all: answer as if the project were not there, so outsiders cannot probe which projects exist.
    if (role === null) throw asIfMissing(request);
    if (!atLeast(role, need.project)) {
      throw forbidden(
        actor,
        `${request.method} ${url} here: it needs the ${need.project} role and ${actor.name} has ${role ?? "no role in this project"}`,
      );
    }
  });
}
