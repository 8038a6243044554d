import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions } from "../../jobs/jobs.types.ts";
import type { PageOf } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { newId } from "../../shared/ids.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import { truncate } from "./notification.render.ts";
import * as store from "./notifications.store.ts";
import {
  type ChannelType,
  channelKeys,
  DELIVER_JOB,
  type DeliveryRecord,
  type DeliveryStatus,
  type NotificationChannel,
  type NotificationEvent,
  type NotificationEventType,
} from "./notifications.types.ts";

/** What one outbox row keeps of the failed test names: enough for any message, bounded for the table. */
const STORED_FAILURES = 100;
const STORED_FAILURE_CHARS = 500;

export interface NotificationsDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  enqueue: (tx: Queryable, options: EnqueueOptions) => Promise<string>;
  /**
   * The project's `notifications:` channels as written (secrets unresolved). `notify` passes its transaction: read
   * through it, because on SQLite a read on another handle waits for that very transaction to end, i.e. for ever.
   */
  channelsFor: (projectId: string, tx?: Queryable) => Promise<NotificationChannel[]>;
  /** Throws project_not_found; for the `?project=<slug>` filter of the delivery list. */
  projectIdOf: (slug: string) => Promise<string>;
}

/** A delivery as the API shows it. */
export interface DeliveryView {
  id: string;
  project: string;
  channel: string;
  channelType: ChannelType;
  event: NotificationEventType;
  environment: string | null;
  release: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export function presentDelivery(record: DeliveryRecord): DeliveryView {
  return {
    id: record.id,
    project: record.event.project.slug,
    channel: record.channel,
    channelType: record.channelType,
    event: record.event.type,
    environment: record.event.environment ?? null,
    release: record.event.release?.version ?? null,
    status: record.status,
    attempts: record.attempts,
    lastError: record.lastError,
    nextAttemptAt: record.nextAttemptAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    deliveredAt: record.deliveredAt,
  };
}

/** The event as stored: a test run with thousands of failures must not make every outbox row megabytes long. */
function bounded(event: NotificationEvent): NotificationEvent {
  const failures = event.evidence?.failures;
  if (!event.evidence || !failures) return event;
  return {
    ...event,
    evidence: {
      ...event.evidence,
      failures: failures.slice(0, STORED_FAILURES).map((name) => truncate(name, STORED_FAILURE_CHARS)),
    },
  };
}

export function createNotificationsService(deps: NotificationsDeps) {
  const { clock, logger } = deps;

  async function subscribedChannels(tx: Queryable, projectId: string, event: NotificationEvent) {
    try {
      const channels = await deps.channelsFor(projectId, tx);
      const keys = channelKeys(channels);
      return channels.flatMap((channel, index) =>
        channel.events.includes(event.type) ? [{ channel, key: keys[index] ?? channel.type }] : [],
      );
    } catch (error) {
      // An unreadable config must not fail the deploy or approval that is being reported.
      logger.error({ err: error, project: projectId, event: event.type }, "could not read notification channels; nothing sent");
      return [];
    }
  }

  return {
    /**
     * Queues `event` for every channel of the project that subscribes to it: one outbox row and one job each, written in
     * the caller's transaction, so they exist exactly when the change they report commits. Sending happens later, in
     * the job; a dead channel can only ever fail its own delivery. Returns the delivery ids.
     */
    async notify(tx: Queryable, projectId: string, event: NotificationEvent): Promise<string[]> {
      const targets = await subscribedChannels(tx, projectId, event);
      if (targets.length === 0) return [];
      const now = clock.now();
      const at = now.toISOString();
      const stored = bounded(event);
      const records: DeliveryRecord[] = targets.map(({ channel, key }) => ({
        id: newId("ntf", now.getTime()),
        projectId,
        channel: key,
        channelType: channel.type,
        event: stored,
        status: "pending",
        attempts: 0,
        lastError: null,
        nextAttemptAt: at,
        createdAt: at,
        updatedAt: at,
        deliveredAt: null,
      }));
      await store.insertDeliveries(tx, records);
      for (const record of records) {
        await deps.enqueue(tx, { type: DELIVER_JOB, payload: { deliveryId: record.id }, key: `notification:${record.id}` });
      }
      return records.map((record) => record.id);
    },

    async list(filter: {
      project?: string | undefined;
      status?: DeliveryStatus | undefined;
      limit: number;
      cursor: Cursor | undefined;
    }): Promise<PageOf<DeliveryView>> {
      const projectId = filter.project === undefined ? undefined : await deps.projectIdOf(filter.project);
      const rows = await store.listDeliveries(deps.db, {
        ...(projectId === undefined ? {} : { projectId }),
        ...(filter.status === undefined ? {} : { status: filter.status }),
        limit: filter.limit,
        before: filter.cursor,
      });
      const page = toPage(rows, filter.limit, (row) => ({ at: row.createdAt, id: row.id }));
      return { items: page.items.map(presentDelivery), nextCursor: page.nextCursor };
    },

    get(id: string): Promise<DeliveryRecord | undefined> {
      return store.findDelivery(deps.db, id);
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
