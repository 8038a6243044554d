export interface Job {
  id: string;
  type: string;
  key: string | null;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
  runAt: string;
}

export interface EnqueueOptions {
  type: string;
  payload: unknown;
  /** Lets the owning feature find and wake this job later, e.g. `deployment:<id>`. */
  key?: string;
  runAt?: Date;
  maxAttempts?: number;
}

/**
 * What a handler tells the runner: `done` removes the job; `later` runs it again after `delayMs` without counting an
 * attempt (a deploy that is polling or waiting for its turn). A thrown error counts an attempt and retries with backoff.
 */
export type JobResult = { kind: "done" } | { kind: "later"; delayMs: number };

export interface JobContext {
  /** Aborted when the lease is lost or the runner stops. */
  signal: AbortSignal;
}

export type JobHandler = (job: Job, context: JobContext) => Promise<JobResult>;
