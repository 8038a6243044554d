import type { PageOf } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { errorMessage, notFound } from "../../shared/errors.ts";
import { renderNotification } from "./notification.render.ts";
import { resolveChannel } from "./notifications.job.ts";
import type { DeliveryView } from "./notifications.service.ts";
import {
  type ChannelType,
  channelKeys,
  type NotificationChannel,
  type NotificationEvent,
  type NotificationEventType,
  type Notifier,
} from "./notifications.types.ts";

/** A channel as Settings shows it: where it posts, with the secret part of the address left out. */
export interface ChannelView {
  key: string;
  type: ChannelType;
  target: string;
  events: NotificationEventType[];
  recent: DeliveryView[];
}

export interface TestSendResult {
  channel: string;
  ok: boolean;
  error: string | null;
  durationMs: number;
}

const ENV_REF = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;
const RECENT_PER_CHANNEL = 5;

/**
 * What may be shown of a channel's address. Webhook URLs carry their secret in the path (Slack, Teams), so only the
 * scheme and host remain; `${env:NAME}` references are names, not secrets, and stay; email keeps the first letter and
 * the domain.
 */
export function redactTarget(channel: Pick<NotificationChannel, "type" | "url" | "to">): string {
  if (channel.type === "email") {
    return (channel.to ?? [])
      .map((address) => (ENV_REF.test(address) ? address : address.replace(/^(.)[^@]*@/, "$1…@")))
      .join(", ");
  }
  const url = channel.url ?? "";
  if (ENV_REF.test(url)) return url;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return "(not a URL)";
  }
}

/** Lists a project's channels with their latest deliveries, and sends a test message to one of them right now. */
export function createChannelsService(deps: {
  clock: Clock;
  channelsFor: (projectId: string) => Promise<NotificationChannel[]>;
  projectIdOf: (slug: string) => Promise<string>;
  deliveries: (filter: { project: string; limit: number; cursor: undefined }) => Promise<PageOf<DeliveryView>>;
  resolveSecret: (value: string) => string;
  notifiers: Record<ChannelType, Notifier>;
  timeoutMs?: number;
}) {
  async function list(slug: string): Promise<{ items: ChannelView[] }> {
    const channels = await deps.channelsFor(await deps.projectIdOf(slug));
    const keys = channelKeys(channels);
    const recent = channels.length ? (await deps.deliveries({ project: slug, limit: 200, cursor: undefined })).items : [];
    return {
      items: channels.map((channel, index) => {
        const key = keys[index] ?? channel.type;
        return {
          key,
          type: channel.type,
          target: redactTarget(channel),
          events: [...channel.events],
          recent: recent.filter((d) => d.channel === key).slice(0, RECENT_PER_CHANNEL),
        };
      }),
    };
  }

  /** Sends at once, outside the outbox: the person pressing the button wants the channel's answer, not a retry later. */
  async function sendTest(input: { slug: string; key: string; actor: string | null }): Promise<TestSendResult> {
    const channels = await deps.channelsFor(await deps.projectIdOf(input.slug));
    const channel = channels[channelKeys(channels).indexOf(input.key)];
    if (!channel) {
      throw notFound("not_found", `Project "${input.slug}" has no notification channel "${input.key}"`, {
        channel: input.key,
      });
    }
    const event: NotificationEvent = {
      type: "channel_test",
      project: { slug: input.slug, name: input.slug },
      ...(input.actor ? { actor: input.actor } : {}),
      links: { view: "" },
      at: deps.clock.now().toISOString(),
    };
    const rendered = { ...renderNotification(event), links: [] };
    const started = Date.now();
    try {
      await deps.notifiers[channel.type].send(resolveChannel(channel, deps.resolveSecret), event, rendered, {
        timeoutMs: deps.timeoutMs ?? 10_000,
        deliveryId: `test-${started}`,
      });
      return { channel: input.key, ok: true, error: null, durationMs: Date.now() - started };
    } catch (error) {
      const message = errorMessage(error);
      return { channel: input.key, ok: false, error: message, durationMs: Date.now() - started };
    }
  }

  return { list, sendTest };
}

export type ChannelsService = ReturnType<typeof createChannelsService>;
