import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import type { Kysely } from "kysely";
import type { Db, DialectName } from "../../src/db/connect.ts";
import type { AuditDatabase } from "../../src/db/schema.audit.ts";
import { createAuditFeature } from "../../src/features/audit/audit.feature.ts";
import type { AuditService } from "../../src/features/audit/audit.service.ts";
import { validateExecutorConfig } from "../../src/features/deployments/executors/registry.ts";
import { createProjectsService, type ProjectsService } from "../../src/features/projects/projects.service.ts";
import { registerErrorHandling } from "../../src/http/errors.ts";
import { systemClock } from "../../src/shared/clock.ts";
import { testDb } from "./db.ts";

export interface AuditTestApp {
  db: Db;
  audit: AuditService;
  projects: ProjectsService;
  /** Fastify with only the audit routes under /api/v1 (no auth), the error mapping and app.ts's validation options. */
  http: FastifyInstance;
  close(): Promise<void>;
}

/** The audit feature on a fresh database, without app.ts: the real service, routes and projects service. */
export async function startAuditApp(dialect: DialectName): Promise<AuditTestApp> {
  const db = await testDb(dialect);
  const projects = createProjectsService({ db: db.kysely, clock: systemClock, validateExecutor: validateExecutorConfig });
  const feature = createAuditFeature({
    db: db.kysely,
    clock: systemClock,
    dialect: db.capabilities.dialect,
    resolveProject: (slug) => projects.record(slug),
  });
  const http = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerErrorHandling(http);
  await http.register(feature.routes, { prefix: "/api/v1" });
  await http.ready();
  return {
    db,
    audit: feature.service,
    projects,
    http,
    async close() {
      await http.close();
      await db.close();
    },
  };
}

/** The audit table itself, for tests that tamper with it the way someone with database access could. */
export function auditTable(db: Db): Kysely<AuditDatabase> {
  return db.kysely as unknown as Kysely<AuditDatabase>;
}
