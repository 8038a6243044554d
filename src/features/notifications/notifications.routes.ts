import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { ErrorBody, Nullable, Page, PageQuery, Slug } from "../../shared/api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
import type { ChannelsService } from "./channels.service.ts";
import type { NotificationsService } from "./notifications.service.ts";
import { CHANNEL_TYPES, DELIVERY_STATUSES, NOTIFICATION_EVENTS } from "./notifications.types.ts";

const Timestamp = Type.String({ format: "date-time" });
const DeliveryStatusSchema = Type.Enum(DELIVERY_STATUSES);

/** A notification delivery in the outbox. Candidate for `shared/api.ts` once the SDK lists deliveries. */
export const NotificationDelivery = Type.Object({
  id: Type.String(),
  project: Type.String({ description: "project slug" }),
  channel: Type.String({ description: "the channel's name, or <type>#<n>" }),
  channelType: Type.Enum(CHANNEL_TYPES),
  event: Type.Enum(NOTIFICATION_EVENTS),
  environment: Nullable(Type.String()),
  release: Nullable(Type.String()),
  status: DeliveryStatusSchema,
  attempts: Type.Integer({ minimum: 0 }),
  lastError: Nullable(Type.String()),
  nextAttemptAt: Nullable(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deliveredAt: Nullable(Timestamp),
});
export type NotificationDelivery = Static<typeof NotificationDelivery>;

const NotificationChannelView = Type.Object({
  key: Type.String({ description: "the channel's name, or <type>#<n>" }),
  type: Type.Enum(CHANNEL_TYPES),
  target: Type.String({ description: "where it posts, without the secret part (scheme and host; email: first letter @ domain)" }),
  events: Type.Array(Type.Enum(NOTIFICATION_EVENTS)),
  recent: Type.Array(NotificationDelivery, { description: "its latest deliveries, newest first (at most 5)" }),
});

const TestSendResult = Type.Object({
  channel: Type.String(),
  ok: Type.Boolean({ description: "whether the channel accepted the message" }),
  error: Nullable(Type.String({ description: "what the channel (or the network) answered when it did not" })),
  durationMs: Type.Integer({ minimum: 0 }),
});

const DeliveryListQuery = Type.Intersect([
  PageQuery,
  Type.Object({ project: Type.Optional(Slug), status: Type.Optional(DeliveryStatusSchema) }),
]);

export function notificationsRoutes(deps: {
  notifications: NotificationsService;
  channels: ChannelsService;
}): FastifyPluginAsyncTypebox {
  const { notifications, channels } = deps;
  return async (app) => {
    app.get(
      "/projects/:slug/notification-channels",
      {
        schema: {
          tags: ["notifications"],
          summary: "The project's notification channels (addresses redacted) with their latest deliveries",
          params: Type.Object({ slug: Slug }),
          response: {
            200: Type.Object({ items: Type.Array(NotificationChannelView) }),
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
          },
        },
      },
      async (request) => channels.list(request.params.slug),
    );

    app.post(
      "/projects/:slug/notification-channels/:channel/test",
      {
        schema: {
          tags: ["notifications"],
          summary: "Send a test message to one channel now and report its answer (not queued, not retried)",
          params: Type.Object({ slug: Slug, channel: Type.String({ minLength: 1, maxLength: 80 }) }),
          response: { 200: TestSendResult, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) =>
        channels.sendTest({ slug: request.params.slug, key: request.params.channel, actor: request.actor?.name ?? null }),
    );

    app.get(
      "/notifications/deliveries",
      {
        schema: {
          tags: ["notifications"],
          summary: "Notification deliveries, newest first: what was sent where, attempts and the last error",
          querystring: DeliveryListQuery,
          response: { 200: Page(NotificationDelivery), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) =>
        notifications.list({
          project: request.query.project,
          status: request.query.status,
          limit: request.query.limit ?? 50,
          cursor: decodeCursor(request.query.cursor),
        }),
    );
  };
}
