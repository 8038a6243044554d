import { type Static, Type } from "typebox";

/** What the notifiers throw; the same classes serve every delivery to a service across the internet. */
export { PermanentDeliveryError, RetryableDeliveryError } from "../../shared/delivery.ts";

export const NOTIFICATION_EVENTS = [
  "approval_requested",
  "approval_expired",
  "deployment_started",
  "deployment_succeeded",
  "deployment_failed",
  "deployment_errored",
  "gate_failed",
  "rollback",
  "freeze_override",
  "alert_firing",
  "alert_resolved",
  /** Settings → Send test: proves the channel is reachable; nothing happened in any environment. */
  "channel_test",
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

export const CHANNEL_TYPES = ["slack", "teams", "email", "webhook"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** What happened, as plain data: stored in the outbox with the delivery and rendered for each channel when sent. */
export interface NotificationEvent {
  type: NotificationEventType;
  project: { slug: string; name: string };
  environment?: string;
  release?: { version: string; commitSha: string; branch: string; createdBy: string | null };
  deployment?: { id: string; status: string; kind: string; reason: string | null };
  /** Who caused it: the requester, approver, or the one who overrode a freeze. */
  actor?: string;
  evidence?: {
    tests?: { total: number; passed: number; failed: number; skipped: number; flaky: number };
    /** Names of failed tests, most relevant first. */
    failures?: string[];
    /** Percentages; `delta` against the previous release's coverage. */
    coverage?: { lines: number | null; delta: number | null };
    gates?: { type: string; passed: boolean; message: string }[];
    /** How long the deployment took, already formatted ("4m 12s"). */
    succeededIn?: string;
    /** The release live in the environment before this one. */
    previousRelease?: string | null;
  };
  /** A run's alert (features/runs) that fired or resolved. */
  alert?: { rule: string; severity: string; message: string; run: { id: string; name: string } };
  /** Absolute URLs. `approve` / `reject` open the confirmation page: a GET must never change anything. */
  links: { view: string; approve?: string; reject?: string };
  /** When it happened, ISO-8601. */
  at: string;
}

const ENV_REF = "\\$\\{env:[A-Za-z_][A-Za-z0-9_]*\\}";
const Secretish = (description: string) => Type.String({ minLength: 1, maxLength: 2000, description });

/** Problems the schema cannot express: which keys each channel type needs or refuses. */
export function channelProblem(channel: {
  type: ChannelType;
  url?: string | undefined;
  to?: string[] | undefined;
  secret?: string | undefined;
}): string | null {
  if (channel.type === "email") {
    if (!channel.to) return "an email channel needs `to:` (a list of addresses)";
    if (channel.url !== undefined) return "an email channel sends through the server's SMTP settings; remove `url:`";
  } else {
    if (!channel.url) return `a ${channel.type} channel needs \`url:\` (its webhook address, e.g. "\${env:NAME}")`;
    if (channel.to !== undefined) return `\`to:\` is for email channels; a ${channel.type} channel posts to its url`;
  }
  if (channel.secret !== undefined && channel.type !== "webhook")
    return "`secret:` signs webhook channels only; remove it from this channel";
  return null;
}

/**
 * One entry of `notifications:` in stagegate.yaml. `url`, `to` and `secret` may be written as `${env:NAME}`; they are
 * resolved from the server's environment each time a notification is sent, so a rotated secret applies at once.
 */
export const NotificationChannelSchema = Type.Refine(
  Type.Object(
    {
      type: Type.Enum(CHANNEL_TYPES, { description: "slack | teams | email | webhook" }),
      name: Type.Optional(
        Type.String({
          pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",
          description: "Names the channel in delivery lists; default <type>#<n> (the n-th channel of that type)",
        }),
      ),
      url: Type.Optional(
        Secretish("Slack incoming webhook, Teams workflow (Power Automate) webhook, or any HTTPS endpoint for `webhook`"),
      ),
      to: Type.Optional(
        Type.Array(Type.String({ pattern: `^([^\\s@]+@[^\\s@]+|${ENV_REF})$`, maxLength: 320 }), {
          minItems: 1,
          maxItems: 50,
          description: "Email recipients",
        }),
      ),
      secret: Type.Optional(Secretish("webhook only: signs the body, X-Stagegate-Signature: sha256=<HMAC-SHA256 hex>")),
      events: Type.Array(Type.Enum(NOTIFICATION_EVENTS), {
        minItems: 1,
        maxItems: NOTIFICATION_EVENTS.length,
        uniqueItems: true,
        description: "Events this channel receives",
      }),
    },
    { additionalProperties: false },
  ),
  (channel) => channelProblem(channel) === null,
  (channel) => channelProblem(channel) ?? "is not a valid notification channel",
);
export type NotificationChannel = Static<typeof NotificationChannelSchema>;

export const NotificationChannelsSchema = Type.Array(NotificationChannelSchema, { maxItems: 50 });

/** Duplicate channel names, as `{ index, message }`, for the config parser to report (the schema cannot see across items). */
export function duplicateChannelNames(channels: readonly NotificationChannel[]): { index: number; message: string }[] {
  const seen = new Set<string>();
  const issues: { index: number; message: string }[] = [];
  channelKeys(channels).forEach((key, index) => {
    if (seen.has(key)) issues.push({ index, message: `duplicates notification channel name "${key}"; give each a unique name:` });
    seen.add(key);
  });
  return issues;
}

/** Each channel's key: its `name`, else `<type>#<n>` counting channels of that type from 1 (stable when others move). */
export function channelKeys(channels: readonly NotificationChannel[]): string[] {
  const counts = new Map<string, number>();
  return channels.map((channel) => {
    const n = (counts.get(channel.type) ?? 0) + 1;
    counts.set(channel.type, n);
    return channel.name ?? `${channel.type}#${n}`;
  });
}

/** SMTP relay for email channels; null when the server sends no email. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  auth?: { user: string; pass: string };
  /** Sender, e.g. `stagegate <stagegate@acme.example>`. */
  from: string;
}

/** Neutral content of a notification, made once from the event; each notifier lays it out in its own format. */
export interface RenderedNotification {
  event: NotificationEventType;
  tone: "good" | "attention" | "warning" | "accent";
  emoji: string;
  /** "Approval needed: shop 1.4.0 → live" */
  title: string;
  /** One line for previews and text fallbacks. */
  summary: string;
  facts: { label: string; value: string }[];
  /** "212 passed · 3 failed · 2 skipped · 1 flaky (218 total)" */
  tests: string | null;
  /** "84.2% of lines (+0.4)" */
  coverage: string | null;
  failures: { shown: string[]; more: number };
  gates: { type: string; passed: boolean; message: string }[];
  links: { kind: "view" | "approve" | "reject"; label: string; url: string }[];
}

export interface SendOptions {
  /** Aborted when the job loses its lease or the runner stops. */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Receivers may de-duplicate on it: a delivery can be sent twice if the process dies right after sending. */
  deliveryId?: string;
  /** Reports something that did not stop the delivery (an email recipient refused while others got it). */
  warn?: (message: string) => void;
}

/**
 * Sends one rendered notification to one channel (secrets already resolved). Throws `RetryableDeliveryError` when asking
 * again later may work and `PermanentDeliveryError` when it cannot; any other error counts as retryable.
 */
export interface Notifier {
  type: ChannelType;
  send(
    channel: NotificationChannel,
    event: NotificationEvent,
    rendered: RenderedNotification,
    options?: SendOptions,
  ): Promise<void>;
}

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One notification for one channel, as recorded in the outbox. */
export interface DeliveryRecord {
  id: string;
  projectId: string;
  channel: string;
  channelType: ChannelType;
  event: NotificationEvent;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export const DELIVER_JOB = "notification.deliver";

export const DeliverPayloadSchema = Type.Object({ deliveryId: Type.String({ minLength: 1 }) });
export type DeliverPayload = Static<typeof DeliverPayloadSchema>;
