import { Type } from "typebox";
import { formatDuration } from "../../../shared/duration.ts";
import { errorMessage } from "../../../shared/errors.ts";
import { DurationSchema, durationMs } from "./executor.schema.ts";
import { cancelledError, type ExecutionContext, RetryableError, type StepOutcome, TerminalError } from "./executor.types.ts";

/**
 * What the executors that start a run somewhere else and poll it have in common: how often to poll, when to give
 * up, which progress lines reach the deployment log, and why a transient error while polling must not end the step.
 */

const MAX_POLL_MS = 60_000;
/** A poll retries a transient error once in place; after that the next poll comes soon enough. */
export const POLL_RETRY = { attempts: 2 } as const;
/** The last progress line written per deployment step; a cache, so a restart at worst repeats one line. */
const lastProgress = new Map<string, string>();
const MAX_TRACKED = 10_000;

/** Polls often while a run is young and less often as it ages: a tenth of its age, between `minMs` and a minute. */
export function pollDelay(elapsedMs: number, minMs: number): number {
  return Math.round(Math.min(Math.max(minMs, elapsedMs / 10), Math.max(minMs, MAX_POLL_MS)));
}

/** Writes `line` unless it is what this step said last, so a two-hour run logs state changes, not every poll. */
export function progress(ctx: ExecutionContext<unknown>, line: string): void {
  const key = `${ctx.deployment.id}/${ctx.step.index}`;
  if (lastProgress.get(key) === line) return;
  if (lastProgress.size >= MAX_TRACKED) lastProgress.clear();
  lastProgress.set(key, line);
  ctx.log.write("system", line);
}

export function forgetProgress(ctx: ExecutionContext<unknown>): void {
  lastProgress.delete(`${ctx.deployment.id}/${ctx.step.index}`);
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw cancelledError(signal.reason);
}

/**
 * Runs one poll. A transient failure (429 storm, 5xx, the target unreachable) keeps the step `running` with the
 * same run id instead of throwing: a thrown error would make the runner start the step again, i.e. a second run.
 */
export async function keepPolling(
  ctx: ExecutionContext<unknown>,
  options: { minPollMs: number; poll: () => Promise<StepOutcome> },
): Promise<StepOutcome> {
  throwIfAborted(ctx.signal);
  try {
    const outcome = await options.poll();
    if (outcome.status !== "running") forgetProgress(ctx);
    return outcome;
  } catch (error) {
    if (!(error instanceof RetryableError)) {
      if (error instanceof TerminalError) forgetProgress(ctx);
      throw error;
    }
    const pollAfterMs = Math.max(options.minPollMs, error.retryAfterMs ?? options.minPollMs);
    ctx.log.write("system", `could not read the run's state (${error.message}); polling again in ${formatDuration(pollAfterMs)}`);
    return { status: "running", pollAfterMs, message: "waiting for the target to answer" };
  }
}

/** True once a run that began at `startedAtMs` has been going longer than `timeoutMs`. */
export function timedOut(startedAtMs: number | undefined, timeoutMs: number, now = Date.now()): boolean {
  return startedAtMs !== undefined && Number.isFinite(startedAtMs) && now - startedAtMs > timeoutMs;
}

/** The error a step ends with when its run outlived the timeout; the caller has asked the target to cancel it. */
export function timeoutError(what: string, timeoutMs: number, cancelNote: string): TerminalError {
  return new TerminalError(`${what} did not finish within the step's timeout of ${formatDuration(timeoutMs)}; ${cancelNote}`);
}

/** Asks the target to cancel, and says in words whether that worked (the step ends errored either way). */
export async function tryCancel(cancel: () => Promise<void>, runLabel: string): Promise<string> {
  try {
    await cancel();
    return `asked the target to cancel ${runLabel}`;
  } catch (error) {
    return `could not cancel ${runLabel} (${errorMessage(error)}); cancel it by hand`;
  }
}

/**
 * Fills `{{version}}`, `{{commit}}`, `{{branch}}`, `{{environment}}`, `{{project}}` and `{{deployment}}` in a
 * configured value, so inputs and variables can carry the release without the target declaring fixed names.
 */
export function fillRelease(value: string, ctx: ExecutionContext<unknown>): string {
  const values: Record<string, string> = {
    version: ctx.release.version,
    commit: ctx.release.commitSha,
    branch: ctx.release.branch,
    environment: ctx.environment.name,
    project: ctx.project.slug,
    deployment: ctx.deployment.id,
    // Where the job sends its logs and metrics: the deployment's run (features/runs).
    ...(ctx.run ? { run: ctx.run.id, ingest_token: ctx.run.ingestToken, stagegate_url: ctx.run.url } : {}),
  };
  return value.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, name: string) => values[name] ?? match);
}

/** `fillRelease` over a map's string values; other values (numbers, objects a target takes) are sent as they are. */
export function fillReleaseValues<V>(
  values: Record<string, V> | undefined,
  ctx: ExecutionContext<unknown>,
): Record<string, V | string> {
  return Object.fromEntries(
    Object.entries(values ?? {}).map(([key, value]) => [key, typeof value === "string" ? fillRelease(value, ctx) : value]),
  );
}

export function fillReleaseAll(
  values: Record<string, string> | undefined,
  ctx: ExecutionContext<unknown>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, fillRelease(value, ctx)]));
}

/**
 * `timeout` and `pollInterval` of an executor that starts a run elsewhere and polls it: the config schema's two fields
 * (spread into its `Type.Object`) and their values in milliseconds, defaults applied.
 */
export function pollingTimes(defaults: { timeout: string; poll: string; onTimeout: string }) {
  return {
    schema: {
      timeout: Type.Optional(DurationSchema({ default: defaults.timeout, description: `${defaults.onTimeout} after this long` })),
      pollInterval: Type.Optional(DurationSchema({ default: defaults.poll, description: "Shortest pause between polls" })),
    },
    timeoutMs: (config: { timeout?: string | number | undefined }) => durationMs(config.timeout, defaults.timeout),
    pollMs: (config: { pollInterval?: string | number | undefined }) => durationMs(config.pollInterval, defaults.poll),
  };
}
