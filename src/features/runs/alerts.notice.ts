import type { NotificationEvent } from "../notifications/notifications.types.ts";
import type { AlertNotice } from "./alerts.service.ts";

/**
 * The notification for an alert that fired or resolved: which run, which rule, how bad, and where to look. The link
 * opens the run's page in the dashboard (web/src/App.tsx `runs/:id`), which links on to its deployment.
 */
export function alertNotificationEvent(
  notice: AlertNotice,
  project: { slug: string; name: string },
  publicUrl: string,
): NotificationEvent {
  const { run, alert } = notice;
  return {
    type: notice.change === "fired" ? "alert_firing" : "alert_resolved",
    project,
    ...(run.environment ? { environment: run.environment } : {}),
    alert: { rule: alert.rule, severity: alert.severity, message: alert.message, run: { id: run.id, name: run.name } },
    links: {
      view: `${publicUrl.replace(/\/+$/, "")}/runs/${encodeURIComponent(run.id)}`,
    },
    at: (notice.change === "fired" ? alert.firedAt : alert.resolvedAt) ?? alert.firedAt,
  };
}
