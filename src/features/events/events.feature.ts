import type { Queryable } from "../../db/schema.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { NotificationEvent } from "../notifications/notifications.types.ts";
import { eventsRoutes } from "./events.routes.ts";
import { createProjectEvents } from "./project-events.ts";

type Notify = (tx: Queryable, projectId: string, event: NotificationEvent) => Promise<string[]>;

/**
 * Live project events for the dashboard (SSE), so pages stop polling every second. Fed by the deployment and approval
 * event points through `tap(notify)` (the notifications every transition already sends) and by the audit head, which
 * every state change advances, also on other replicas.
 */
export function createEventsFeature(deps: {
  audit: Pick<AuditService, "list">;
  projectIdOf: (slug: string) => Promise<string>;
  watchMs?: number;
  heartbeatMs?: number;
  onError?: (error: unknown) => void;
}) {
  const events = createProjectEvents({
    headOf: async (projectId) => (await deps.audit.list({ projectId, limit: 1 })).items[0]?.seq ?? null,
    ...(deps.watchMs ? { watchMs: deps.watchMs } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  const routes = eventsRoutes({ events, projectIdOf: deps.projectIdOf, heartbeatMs: deps.heartbeatMs ?? 15_000 });

  /** Wraps the notifications' `notify` so each notified transition also nudges the project's live streams. */
  function tap(notify: Notify): Notify {
    return async (tx, projectId, event) => {
      const ids = await notify(tx, projectId, event);
      events.nudge(projectId, { reason: event.type, ...(event.deployment ? { deploymentId: event.deployment.id } : {}) });
      return ids;
    };
  }

  return {
    events,
    routes,
    tap,
    /** A report run was completed (committed): its release's gates and evidence may read differently now. */
    async reportCompleted(projectId: string): Promise<void> {
      events.nudge(projectId, { reason: "report_completed" });
    },
    close() {
      routes.closeStreams();
      events.close();
    },
  };
}
