import { Readable } from "node:stream";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorBody, Page } from "../../shared/api.ts";
import { AuditEvent, AuditExportQuery, AuditListQuery, AuditVerifyResult } from "../../shared/audit.api.ts";
import { type AuditService, parseAuditCursor } from "./audit.service.ts";
import type { AuditFilter } from "./audit.types.ts";

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

export interface AuditRoutesDeps {
  audit: AuditService;
  /** Project slug → id; throws project_not_found (the projects service's `record`). */
  resolveProject: (slug: string) => Promise<{ id: string }>;
}

export function auditRoutes(deps: AuditRoutesDeps): FastifyPluginAsyncTypebox {
  const { audit } = deps;

  /** `?project=<slug>&subject=<type>[:<id>]&actor=&action=` → the service's filter. */
  async function toFilter(query: AuditExportQuery): Promise<AuditFilter> {
    const filter: AuditFilter = {};
    if (query.project !== undefined) filter.projectId = (await deps.resolveProject(query.project)).id;
    if (query.subject !== undefined) {
      // The type never contains ":" (the schema's pattern), so the first one separates type from id.
      const colon = query.subject.indexOf(":");
      filter.subjectType = colon === -1 ? query.subject : query.subject.slice(0, colon);
      if (colon !== -1) filter.subjectId = query.subject.slice(colon + 1);
    }
    if (query.actor !== undefined) filter.actor = query.actor;
    if (query.action !== undefined) filter.action = query.action;
    return filter;
  }

  return async (app) => {
    app.get(
      "/audit",
      {
        schema: {
          tags: ["audit"],
          summary: "Audit events, newest first",
          querystring: AuditListQuery,
          response: { 200: Page(AuditEvent), ...errors },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const before = parseAuditCursor(cursor);
        return audit.list({ ...(await toFilter(request.query)), limit: limit ?? 50, before });
      },
    );

    app.get(
      "/audit/verify",
      {
        schema: {
          tags: ["audit"],
          summary: "Recompute the hash chain from the first event; 200 either way, `ok` says whether it is intact",
          response: { 200: AuditVerifyResult, ...errors },
        },
      },
      async () => audit.verify(),
    );

    app.get(
      "/audit/export",
      {
        schema: {
          tags: ["audit"],
          summary: "Audit events as NDJSON, oldest first (streamed); unfiltered, it verifies offline",
          querystring: AuditExportQuery,
          response: { 200: Type.Unknown({ description: "application/x-ndjson, one event per line" }), ...errors },
        },
      },
      async (request, reply) => {
        const filter = await toFilter(request.query);
        reply
          .type("application/x-ndjson; charset=utf-8")
          .header("content-disposition", 'attachment; filename="audit.ndjson"')
          .header("cache-control", "no-store");
        return reply.send(Readable.from(audit.exportNdjson(filter)));
      },
    );
  };
}
