import type { JobHandler } from "../../jobs/jobs.types.ts";
import type { DeliveryPolicy } from "../../shared/delivery.ts";
import { createChannelsService } from "./channels.service.ts";
import { createDeliverHandler } from "./notifications.job.ts";
import { notificationsRoutes } from "./notifications.routes.ts";
import { createNotificationsService, type NotificationsDeps } from "./notifications.service.ts";
import { type ChannelType, DELIVER_JOB, type Notifier, type SmtpSettings } from "./notifications.types.ts";
import { createNotifiers } from "./notifiers/registry.ts";

export interface NotificationsFeatureDeps extends NotificationsDeps {
  resolveSecret: (value: string) => string;
  /** The server's SMTP relay for email channels; null sends no email (those deliveries fail, saying so). */
  smtp: SmtpSettings | null;
  policy?: Partial<DeliveryPolicy>;
  /** Tests swap a notifier; default: the registry (slack, teams, email over `smtp`, webhook). */
  notifiers?: Partial<Record<ChannelType, Notifier>>;
}

/**
 * Notification channels with a durable outbox. Other features call `notify(tx, projectId, event)` inside the
 * transaction of the change they report; `jobs` go to the job runner; `routes` under /api/v1.
 */
export function createNotificationsFeature(deps: NotificationsFeatureDeps) {
  const service = createNotificationsService(deps);
  const notifiers = { ...createNotifiers({ smtp: deps.smtp }), ...deps.notifiers };
  const jobs: Record<string, JobHandler> = {
    [DELIVER_JOB]: createDeliverHandler({
      db: deps.db,
      clock: deps.clock,
      logger: deps.logger,
      channelsFor: (projectId) => deps.channelsFor(projectId),
      resolveSecret: deps.resolveSecret,
      notifiers,
      ...(deps.policy ? { policy: deps.policy } : {}),
    }),
  };
  const channels = createChannelsService({
    clock: deps.clock,
    channelsFor: (projectId) => deps.channelsFor(projectId),
    projectIdOf: deps.projectIdOf,
    deliveries: (filter) => service.list({ ...filter, status: undefined }),
    resolveSecret: deps.resolveSecret,
    notifiers,
  });
  return { service, notify: service.notify, jobs, routes: notificationsRoutes({ notifications: service, channels }) };
}

export type NotificationsFeature = ReturnType<typeof createNotificationsFeature>;
