import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { Value } from "typebox/value";
import type { Database } from "../../db/schema.ts";
import type { JobHandler, JobResult } from "../../jobs/jobs.types.ts";
import type { Clock } from "../../shared/clock.ts";
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
import { DEFAULT_TIMEOUT_MS } from "./provider.http.ts";

export interface DeliveryPolicy {
  /** Posts per status before giving up, counting the first. */
  maxAttempts: number;
  /** Wait after the first failure; doubles after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider may ask for an hour (GitHub's rate limit reset); longer hints are capped here. */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

/** 15s, 30s, 1m, 2m, 4m, 8m, 15m between the eight attempts: about half an hour of outage is ridden out. */
export const DEFAULT_POLICY: DeliveryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 15_000,
  maxDelayMs: 15 * 60_000,
  maxRetryAfterMs: 60 * 60_000,
  timeoutMs: DEFAULT_TIMEOUT_MS,
};

export const DEFAULT_CLIENTS: Record<CommitStatusProvider, CommitStatusClient> = { github: githubClient, gitlab: gitlabClient };

/** Exponential backoff after failed attempt `attempt` (1-based), never sooner than the provider asked. */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: DeliveryPolicy = DEFAULT_POLICY): number {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(backoff, Math.min(retryAfterMs ?? 0, policy.maxRetryAfterMs));
}

export interface DeliverDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  configFor: (projectId: string) => Promise<CommitStatusConfig | null>;
  clients?: Partial<Record<CommitStatusProvider, CommitStatusClient>>;
  policy?: Partial<DeliveryPolicy>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const DONE: JobResult = { kind: "done" };

/**
 * Handler of `commit_status.deliver`: posts one status and records the attempt. Retryable failures come back `later`
 * (honouring Retry-After) with the attempt count kept in the delivery row, since a job's payload cannot change and a
 * `later` does not count a job attempt; refusals and the last failed attempt end the delivery as `failed`.
 */
export function createDeliverHandler(deps: DeliverDeps): JobHandler {
  const { db, clock, logger } = deps;
  const policy: DeliveryPolicy = { ...DEFAULT_POLICY, ...deps.policy };
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
    };
    try {
      await clients[config.provider].postStatus(config, request, { signal, timeoutMs: policy.timeoutMs });
    } catch (error) {
      // Stopping or a lost lease: the attempt did not happen as far as we know; the job resumes elsewhere.
      if (signal.aborted) throw error;
      const lastError = messageOf(error);
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
