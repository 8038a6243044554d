import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { Value } from "typebox/value";
import type { Database } from "../../db/schema.ts";
import type { JobHandler, JobResult } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy, retryDelayMs } from "../../shared/delivery.ts";
import { errorMessage } from "../../shared/errors.ts";
import * as store from "./commit-status.store.ts";
import {
  type CommitStatusClient,
  type CommitStatusConfig,
  type CommitStatusProvider,
  DeliverPayloadSchema,
  PermanentDeliveryError,
  RetryableDeliveryError,
} from "./commit-status.types.ts";
import { githubClient } from "./github.client.ts";
import { gitlabClient } from "./gitlab.client.ts";

export const DEFAULT_CLIENTS: Record<CommitStatusProvider, CommitStatusClient> = { github: githubClient, gitlab: gitlabClient };

export interface DeliverDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  configFor: (projectId: string) => Promise<CommitStatusConfig | null>;
  clients?: Partial<Record<CommitStatusProvider, CommitStatusClient>>;
  policy?: Partial<DeliveryPolicy>;
}

const DONE: JobResult = { kind: "done" };

/**
 * Handler of `commit_status.deliver`: posts one status and records the attempt. Retryable failures come back `later`
 * (honouring Retry-After) with the attempt count kept in the delivery row, since a job's payload cannot change and a
 * `later` does not count a job attempt; refusals and the last failed attempt end the delivery as `failed`.
 */
export function createDeliverHandler(deps: DeliverDeps): JobHandler {
  const { db, clock, logger } = deps;
  const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, ...deps.policy };
  const clients = { ...DEFAULT_CLIENTS, ...deps.clients };
  const at = () => clock.now().toISOString();

  return async (job, { signal }) => {
    if (!Value.Check(DeliverPayloadSchema, job.payload)) {
      logger.error({ job: job.id }, "commit status job has a malformed payload; dropped");
      return DONE;
    }
    const payload = job.payload;
    const delivery = await store.findDelivery(db, payload.deliveryId);
    if (delivery?.status !== "pending") return DONE;
    const config = await deps.configFor(payload.projectId);
    if (!config) {
      const lastError = "the project no longer configures commitStatus";
      await store.recordAttempt(db, { id: delivery.id, status: "failed", attempts: delivery.attempts, lastError, at: at() });
      return DONE;
    }
    const attempts = delivery.attempts + 1;
    const log = logger.child({ delivery: delivery.id, run: payload.runId, provider: config.provider, attempt: attempts });
    const request = {
      sha: payload.sha,
      state: payload.state,
      description: payload.description,
      targetUrl: payload.targetUrl,
      context: config.context ?? `stagegate/${payload.kind}`,
      ref: payload.ref,
      ...(payload.coverage !== undefined ? { coverage: payload.coverage } : {}),
    };
    try {
      await clients[config.provider].postStatus(config, request, { signal, timeoutMs: policy.timeoutMs });
    } catch (error) {
      // Stopping or a lost lease: the attempt did not happen as far as we know; the job resumes elsewhere.
      if (signal.aborted) throw error;
      const lastError = errorMessage(error);
      const base = { id: delivery.id, attempts, lastError, provider: config.provider, at: at() };
      if (error instanceof PermanentDeliveryError) {
        log.warn({ err: error }, "commit status refused; not retrying");
        await store.recordAttempt(db, { ...base, status: "failed" });
        return DONE;
      }
      if (attempts >= policy.maxAttempts) {
        log.warn({ err: error }, "commit status failed on its last attempt; giving up");
        await store.recordAttempt(db, {
          ...base,
          status: "failed",
          lastError: `gave up after ${attempts} attempts: ${lastError}`,
        });
        return DONE;
      }
      const hint = error instanceof RetryableDeliveryError ? error.retryAfterMs : undefined;
      const delayMs = retryDelayMs(attempts, hint, policy);
      log.info({ err: error, retryInMs: delayMs }, "commit status failed; will retry");
      await store.recordAttempt(db, { ...base, status: "pending" });
      return { kind: "later", delayMs };
    }
    await store.recordAttempt(db, {
      id: delivery.id,
      status: "delivered",
      attempts,
      lastError: null,
      provider: config.provider,
      at: at(),
    });
    log.info({ state: payload.state }, "commit status delivered");
    return DONE;
  };
}
