import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { ErrorBody, Nullable, Page, PageQuery, Slug } from "../../shared/api.ts";
import { decodeCursor } from "../../shared/pagination.ts";
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

const DeliveryListQuery = Type.Intersect([
  PageQuery,
  Type.Object({ project: Type.Optional(Slug), status: Type.Optional(DeliveryStatusSchema) }),
]);

export function notificationsRoutes(deps: { notifications: NotificationsService }): FastifyPluginAsyncTypebox {
  const { notifications } = deps;
  return async (app) => {
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
