import type { NotificationDeliveriesTable } from "../../db/schema.notifications.ts";
import type { Queryable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { ChannelType, DeliveryRecord, DeliveryStatus, NotificationEvent } from "./notifications.types.ts";

function toRecord(row: NotificationDeliveriesTable): DeliveryRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    channel: row.channel,
    channelType: row.channel_type as ChannelType,
    event: JSON.parse(row.event_json) as NotificationEvent,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

export async function insertDeliveries(db: Queryable, records: DeliveryRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db
    .insertInto("notification_deliveries")
    .values(
      records.map((record) => ({
        id: record.id,
        project_id: record.projectId,
        channel: record.channel,
        channel_type: record.channelType,
        event: record.event.type,
        event_json: JSON.stringify(record.event),
        status: record.status,
        attempts: record.attempts,
        last_error: record.lastError,
        next_attempt_at: record.nextAttemptAt,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
        delivered_at: record.deliveredAt,
      })),
    )
    .execute();
}

export async function findDelivery(db: Queryable, id: string): Promise<DeliveryRecord | undefined> {
  const row = await db.selectFrom("notification_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Records the outcome of one attempt (or of giving up). */
export async function recordAttempt(
  db: Queryable,
  update: {
    id: string;
    status: DeliveryStatus;
    attempts: number;
    lastError: string | null;
    nextAttemptAt: string | null;
    at: string;
  },
): Promise<void> {
  await db
    .updateTable("notification_deliveries")
    .set({
      status: update.status,
      attempts: update.attempts,
      last_error: update.lastError,
      next_attempt_at: update.nextAttemptAt,
      updated_at: update.at,
      ...(update.status === "delivered" ? { delivered_at: update.at } : {}),
    })
    .where("id", "=", update.id)
    .execute();
}

/** Newest first; `limit + 1` rows so the caller knows whether another page follows. */
export async function listDeliveries(
  db: Queryable,
  filter: { projectId?: string; status?: DeliveryStatus; limit: number; before: Cursor | undefined },
): Promise<DeliveryRecord[]> {
  let query = db
    .selectFrom("notification_deliveries")
    .selectAll()
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit + 1);
  if (filter.projectId !== undefined) query = query.where("project_id", "=", filter.projectId);
  if (filter.status !== undefined) query = query.where("status", "=", filter.status);
  const before = filter.before;
  if (before) query = query.where((eb) => eb(eb.refTuple("created_at", "id"), "<", eb.tuple(before.at, before.id)));
  return (await query.execute()).map(toRecord);
}
