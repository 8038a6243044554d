import type { TSchema } from "typebox";

export type LogStream = "stdout" | "stderr" | "system";

/** Where an executor writes what the target prints. Lines are stored with timestamps, bounded head + tail. */
export interface LogSink {
  write(stream: LogStream, line: string): void;
  /** Resolves once everything written so far is durable. */
  flush(): Promise<void>;
}

/** Everything an executor may know about the deployment it performs. Plain data: no db, no HTTP framework. */
export interface ExecutionContext<C> {
  deployment: { id: string; kind: "deploy" | "rollback"; createdBy: string | null };
  project: { slug: string; name: string; repoUrl: string | null };
  environment: { name: string };
  release: {
    version: string;
    commitSha: string;
    branch: string;
    artifactUrl: string | null;
    artifactDigest: string | null;
  };
  step: { name: string; index: number; attempt: number };
  /** Validated against the executor's configSchema when the project config was applied. */
  config: C;
  log: LogSink;
  /** Aborted when the deployment is cancelled or the server stops: stop work, clean up, return or throw. */
  signal: AbortSignal;
  /** Set when a previous call returned `running` with an externalId (polling executors). */
  externalId: string | null;
  /** Where the target may report the outcome (`POST url` with `Authorization: Bearer token`), if the server knows its public URL. */
  callback: { url: string; token: string };
  /**
   * The pipeline run that collects this deployment's logs and metrics (features/runs): its id, the run-scoped ingest
   * token the job sends them with, and the server's URL. Null when the server runs without runs (some tests).
   */
  run: DeploymentRunAccess | null;
}

export interface DeploymentRunAccess {
  id: string;
  ingestToken: string;
  /** The server's public URL: `POST {url}/api/v1/runs/{id}/logs`, OTLP at `{url}/v1/logs`. */
  url: string;
}

export type StepOutcome =
  | { status: "succeeded"; message?: string }
  /** The target said no: a non-zero exit, a 4xx, a pipeline run that Failed. Never retried. */
  | { status: "failed"; message: string }
  /** Someone cancelled the run at the target (its UI, another tool); the deployment ends `cancelled`. */
  | { status: "cancelled"; message: string }
  /** Still going: poll again after `pollAfterMs` (needs `poll`), or wait for the callback up to `callbackTimeoutMs`. */
  | {
      status: "running";
      externalId?: string;
      /** Where people can watch the run at the target (ADF monitor, Databricks run page, Actions run); logged once. */
      externalUrl?: string;
      pollAfterMs?: number;
      callbackTimeoutMs?: number;
      message?: string;
    };

export interface Executor<C = unknown> {
  type: string;
  description: string;
  /** JSON Schema (TypeBox) of `config`; applied when stagegate.yaml is applied, so errors name the field. */
  configSchema: TSchema;
  /**
   * Whether `start` may run again after the server lost track of it (crash, lost lease) without harm.
   * A shell script or a webhook may have side effects, so they say false and such a deployment ends `errored`.
   */
  safeToRetry: boolean;
  start(ctx: ExecutionContext<C>): Promise<StepOutcome>;
  poll?(ctx: ExecutionContext<C>): Promise<StepOutcome>;
  cancel?(ctx: ExecutionContext<C>): Promise<void>;
  /** Called when this process starts running deploys: get ready now what the first step would otherwise wait for. */
  warmUp?(): void;
}

/**
 * An error that retrying cannot fix (bad config, missing binary, a refused credential). The step ends `errored`
 * at once. Any other thrown error is "we could not tell" and is retried with backoff up to the step's `retries`.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
}

/**
 * A retryable error that carries the target's own hint (`Retry-After`), so the runner can wait that long instead of
 * its backoff. Any ordinary Error is retryable too; this class only adds the hint.
 */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  readonly retryAfterMs?: number;

  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** What an executor throws once it has stopped because `ctx.signal` aborted; the runner recognises it by its name. */
export function cancelledError(cause?: unknown): Error {
  const error = new Error("cancelled", cause === undefined ? undefined : { cause });
  error.name = "AbortError";
  return error;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
