import { auditRoutes } from "./audit.routes.ts";
import { type AuditDeps, createAuditService } from "./audit.service.ts";

/**
 * The hash-chained audit log. Other features get `service` and call `service.append(tx, …)` inside the transaction of
 * each state change; `routes` go under `/api/v1`.
 */
export function createAuditFeature(deps: AuditDeps & { resolveProject: (slug: string) => Promise<{ id: string }> }) {
  const service = createAuditService(deps);
  return { service, routes: auditRoutes({ audit: service, resolveProject: deps.resolveProject }) };
}
