import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { Value } from "typebox/value";
import type { Database } from "../../db/schema.ts";
import type { JobHandler, JobResult } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy, retryDelayMs } from "../../shared/delivery.ts";
import { errorMessage } from "../../shared/errors.ts";
import { renderNotification } from "./notification.render.ts";
import * as store from "./notifications.store.ts";
import {
  type ChannelType,
  channelKeys,
  DeliverPayloadSchema,
  type DeliveryRecord,
  type NotificationChannel,
  type Notifier,
  PermanentDeliveryError,
  RetryableDeliveryError,
} from "./notifications.types.ts";

export interface DeliverDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  /** Read again at every attempt, so a rotated webhook URL or a removed channel takes effect. */
  channelsFor: (projectId: string) => Promise<NotificationChannel[]>;
  /** Turns `${env:NAME}` into the value; applied to url, to and secret just before sending. */
  resolveSecret: (value: string) => string;
  notifiers: Record<ChannelType, Notifier>;
  policy?: Partial<DeliveryPolicy>;
}

const DONE: JobResult = { kind: "done" };

/** The channel with its secrets filled in; an `${env:NAME}` that resolves to nothing is a configuration error. */
export function resolveChannel(channel: NotificationChannel, resolveSecret: (value: string) => string): NotificationChannel {
  const resolve = (field: string, value: string): string => {
    const resolved = resolveSecret(value);
    if (resolved.trim() === "")
      throw new PermanentDeliveryError(`${field} ${JSON.stringify(value)} resolves to nothing; set that variable on the server`);
    return resolved;
  };
  return {
    ...channel,
    ...(channel.url === undefined ? {} : { url: resolve("url", channel.url) }),
    ...(channel.to === undefined ? {} : { to: channel.to.map((address) => resolve("to", address)) }),
    ...(channel.secret === undefined ? {} : { secret: resolve("secret", channel.secret) }),
  };
}

/**
 * Handler of `notification.deliver`: sends one delivery and records the attempt in its row. Retryable failures come
 * back `later` (honouring Retry-After) with the count kept in the row, since a `later` does not count a job attempt;
 * refusals and the last failed attempt end the delivery as `failed` with the reason.
 */
export function createDeliverHandler(deps: DeliverDeps): JobHandler {
  const { db, clock, logger } = deps;
  const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, ...deps.policy };

  async function fail(delivery: DeliveryRecord, attempts: number, lastError: string): Promise<JobResult> {
    const at = clock.now().toISOString();
    await store.recordAttempt(db, { id: delivery.id, status: "failed", attempts, lastError, nextAttemptAt: null, at });
    return DONE;
  }

  return async (job, { signal }) => {
    if (!Value.Check(DeliverPayloadSchema, job.payload)) {
      logger.error({ job: job.id }, "notification job has a malformed payload; dropped");
      return DONE;
    }
    const delivery = await store.findDelivery(db, job.payload.deliveryId);
    if (delivery?.status !== "pending") return DONE;
    const channels = await deps.channelsFor(delivery.projectId);
    const channel = channels[channelKeys(channels).indexOf(delivery.channel)];
    if (!channel || channel.type !== delivery.channelType) {
      return fail(delivery, delivery.attempts, `channel ${delivery.channel} is no longer in the project's notifications`);
    }
    const attempts = delivery.attempts + 1;
    const log = logger.child({ delivery: delivery.id, channel: delivery.channel, event: delivery.event.type, attempt: attempts });
    const warnings: string[] = [];
    try {
      const resolved = resolveChannel(channel, deps.resolveSecret);
      await deps.notifiers[channel.type].send(resolved, delivery.event, renderNotification(delivery.event), {
        signal,
        timeoutMs: policy.timeoutMs,
        deliveryId: delivery.id,
        warn: (message) => warnings.push(message),
      });
    } catch (error) {
      // Stopping or a lost lease: as far as we know the attempt did not happen; the job resumes elsewhere.
      if (signal.aborted) throw error;
      const lastError = errorMessage(error);
      if (error instanceof PermanentDeliveryError) {
        log.warn({ err: error }, "notification refused; not retrying");
        return fail(delivery, attempts, lastError);
      }
      if (attempts >= policy.maxAttempts) {
        log.warn({ err: error }, "notification failed on its last attempt; giving up");
        return fail(delivery, attempts, `gave up after ${attempts} attempts: ${lastError}`);
      }
      const hint = error instanceof RetryableDeliveryError ? error.retryAfterMs : undefined;
      const delayMs = retryDelayMs(attempts, hint, policy);
      const now = clock.now();
      log.info({ err: error, retryInMs: delayMs }, "notification failed; will retry");
      await store.recordAttempt(db, {
        id: delivery.id,
        status: "pending",
        attempts,
        lastError,
        nextAttemptAt: new Date(now.getTime() + delayMs).toISOString(),
        at: now.toISOString(),
      });
      return { kind: "later", delayMs };
    }
    const at = clock.now().toISOString();
    const lastError = warnings.length > 0 ? `delivered with warnings: ${warnings.join("; ")}` : null;
    await store.recordAttempt(db, { id: delivery.id, status: "delivered", attempts, lastError, nextAttemptAt: null, at });
    log.info("notification delivered");
    return DONE;
  };
}
