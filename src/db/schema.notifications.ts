/**
 * Tables of the notifications feature (migration 0005_notifications): the outbox of notification deliveries. One row per
 * event × subscribed channel, written in the transaction of the change it reports and updated on every attempt.
 */
export interface NotificationDeliveriesTable {
  id: string;
  project_id: string;
  /** The channel's name in stagegate.yaml (`name:`, else `<type>#<n>`); looked up again at every attempt. */
  channel: string;
  channel_type: string;
  /** The event type, e.g. `approval_requested`. */
  event: string;
  /** The whole event as JSON: what is rendered at delivery time. */
  event_json: string;
  /** pending (queued or retrying) | delivered | failed (gave up or refused). */
  status: string;
  attempts: number;
  last_error: string | null;
  /** When a pending delivery is tried next; null once it is settled. */
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface NotificationsDatabase {
  notification_deliveries: NotificationDeliveriesTable;
}
