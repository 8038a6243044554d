import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { DbCapabilities } from "../db/connect.ts";
import type { Database, Queryable } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import {
  claimJob,
  completeJob,
  enqueueJob,
  failJob,
  heartbeatJob,
  pokeJob,
  releaseExpiredLeases,
  rescheduleJob,
} from "./jobs.store.ts";
import type { EnqueueOptions, Job, JobHandler } from "./jobs.types.ts";

export interface JobRunnerOptions {
  db: Kysely<Database>;
  capabilities: DbCapabilities;
  clock: Clock;
  logger: Logger;
  pollMs: number;
  leaseMs: number;
  concurrency: number;
}

const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Runs durable jobs from the `jobs` table: claims due jobs under a lease, heartbeats while a handler works, reschedules
 * or retries with exponential backoff, and returns jobs of dead processes to the queue when their lease runs out.
 * Any number of processes may run one; the database decides who gets which job.
 */
export class JobRunner {
  readonly #options: JobRunnerOptions;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #startTasks: Array<() => Promise<void>> = [];
  readonly #owner = newId("worker");
  readonly #active = new Map<string, Promise<void>>();
  #stopping = new AbortController();
  #started = false;
  #wake: (() => void) | undefined;
  #wakePending = false;
  #loop: Promise<void> | undefined;
  #lastSweep = 0;

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  register(type: string, handler: JobHandler): void {
    this.#handlers.set(type, handler);
  }

  /** Work to do each time the runner starts, e.g. making sure a recurring job exists on a database that predates it. */
  atStart(task: () => Promise<void>): void {
    this.#startTasks.push(task);
  }

  /** Enqueues inside the caller's transaction; the job becomes visible when it commits. */
  async enqueue(tx: Queryable, options: EnqueueOptions): Promise<string> {
    const id = await enqueueJob(tx, options, this.#options.clock.now());
    this.wake();
    return id;
  }

  async poke(tx: Queryable, key: string): Promise<void> {
    await pokeJob(tx, key, this.#options.clock.now());
    this.wake();
  }

  /** Nudges the idle loop (after an enqueue or a finished deploy) so work starts without waiting for the next poll. */
  wake(): void {
    const wake = this.#wake;
    if (wake) setImmediate(wake);
    else this.#wakePending = true;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = new AbortController();
    for (const task of this.#startTasks) {
      task().catch((error: unknown) => this.#options.logger.error({ err: error }, "job runner start task failed"));
    }
    this.#loop = this.#run();
  }

  /** Stops claiming, aborts running handlers and waits for them; their jobs stay leased and are picked up on restart. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#stopping.abort();
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
    await Promise.allSettled(this.#active.values());
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    while (!this.#stopping.signal.aborted) {
      try {
        await this.#sweep();
        let claimed = false;
        while (this.#active.size < this.#options.concurrency && !this.#stopping.signal.aborted) {
          const job = await claimJob(this.#options.db, {
            owner: this.#owner,
            leaseMs: this.#options.leaseMs,
            now: this.#options.clock.now(),
            capabilities: this.#options.capabilities,
          });
          if (!job) break;
          claimed = true;
          const running = this.#execute(job).finally(() => {
            this.#active.delete(job.id);
            this.wake();
          });
          this.#active.set(job.id, running);
        }
        if (!claimed || this.#active.size >= this.#options.concurrency) await this.#idle();
      } catch (error) {
        if (this.#stopping.signal.aborted) break;
        logger.error({ err: error }, "job runner loop failed; retrying");
        await this.#idle();
      }
    }
  }

  #idle(): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#options.pollMs);
      this.#wake = done;
    });
  }

  async #sweep(): Promise<void> {
    const now = this.#options.clock.now();
    if (now.getTime() - this.#lastSweep < this.#options.leaseMs / 4) return;
    this.#lastSweep = now.getTime();
    // Our own running jobs stay ours even if a stall made their heartbeat late: the next heartbeat renews them.
    const released = await releaseExpiredLeases(this.#options.db, now, [...this.#active.keys()]);
    if (released > 0) this.#options.logger.warn({ released }, "returned jobs with expired leases to the queue");
  }

  async #execute(job: Job): Promise<void> {
    const { db, clock, logger, leaseMs } = this.#options;
    const lease = new AbortController();
    const signal = AbortSignal.any([lease.signal, this.#stopping.signal]);
    const heartbeat = setInterval(
      () => {
        const until = new Date(clock.now().getTime() + leaseMs);
        heartbeatJob(db, job.id, this.#owner, until)
          .then((ours) => {
            if (!ours) lease.abort(new Error("lease lost"));
          })
          .catch((error: unknown) => logger.warn({ err: error, job: job.id }, "job heartbeat failed"));
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    try {
      const handler = this.#handlers.get(job.type);
      if (!handler) throw new Error(`no handler registered for job type ${job.type}`);
      const result = await handler(job, { signal });
      if (this.#stopping.signal.aborted && !lease.signal.aborted) return; // keep the lease: the next process resumes it
      if (result.kind === "done") await completeJob(db, job.id, this.#owner);
      else {
        const now = clock.now();
        await rescheduleJob(db, {
          id: job.id,
          owner: this.#owner,
          runAt: new Date(now.getTime() + result.delayMs),
          now,
          countAttempt: false,
        });
      }
    } catch (error) {
      if (this.#stopping.signal.aborted) return;
      const message = errorMessage(error);
      const now = clock.now();
      if (job.attempts + 1 >= job.maxAttempts) {
        logger.error({ err: error, job: job.id, type: job.type }, "job failed for good");
        await failJob(db, { id: job.id, owner: this.#owner, error: message, now }).catch(() => undefined);
        return;
      }
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** job.attempts);
      logger.warn({ err: error, job: job.id, type: job.type, retryInMs: delay }, "job failed; will retry");
      await rescheduleJob(db, {
        id: job.id,
        owner: this.#owner,
        runAt: new Date(now.getTime() + delay),
        now,
        error: message,
        countAttempt: true,
      }).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
    }
  }
}
