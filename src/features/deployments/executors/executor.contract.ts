import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "./config.validation.ts";
import type { ExecutionContext, Executor, LogStream, StepOutcome } from "./executor.types.ts";

/** Keeps every line in memory; `text(stream)` joins one stream's lines for assertions. */
export class MemoryLogSink {
  readonly lines: { stream: LogStream; line: string }[] = [];

  write(stream: LogStream, line: string): void {
    this.lines.push({ stream, line });
  }

  async flush(): Promise<void> {}

  of(stream: LogStream): string[] {
    return this.lines.filter((entry) => entry.stream === stream).map((entry) => entry.line);
  }
}

export type FakeContext<C> = ExecutionContext<C> & { log: MemoryLogSink; abort(reason?: unknown): void };

/** A plausible context for executor tests: an in-memory log and an AbortController behind `signal` (`abort()`). */
export function fakeContext<C>(config: C, overrides: Partial<Omit<ExecutionContext<C>, "config" | "log">> = {}): FakeContext<C> {
  const controller = new AbortController();
  const { signal, ...rest } = overrides;
  return {
    deployment: { id: "dep_01TEST", kind: "deploy", createdBy: "usr_alice" },
    project: { slug: "churn-model", name: "Churn model", repoUrl: "https://git.example.com/data/churn-model" },
    environment: { name: "staging" },
    release: {
      version: "1.4.0",
      commitSha: "9fceb02d0ae598e95dc970b74767f19372d61af8",
      branch: "main",
      artifactUrl: "https://artifacts.example.com/churn-model/1.4.0.tar.gz",
      artifactDigest: null,
    },
    step: { name: "deploy", index: 0, attempt: 1 },
    externalId: null,
    callback: { url: "http://127.0.0.1:9/api/v1/deployments/dep_01TEST/callback", token: "cb_test_token" },
    run: { id: "run_01TEST", ingestToken: "sgr_test_token", url: "http://127.0.0.1:9" },
    ...rest,
    config,
    log: new MemoryLogSink(),
    signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
  };
}

export interface ContractFixture<C = unknown> {
  executor: Executor<C>;
  succeedingConfig: unknown;
  failingConfig: unknown;
  /** Runs long enough (tens of seconds) that cancelling it can be observed. */
  slowConfig: unknown;
  /** Settles once the slow run has really begun (process spawned, request received); default: a short pause. */
  slowStarted?(): Promise<void>;
  /** Fails unless everything the cancelled slow run started is gone (processes, open connections). */
  assertStopped?(): Promise<void>;
  /** Takes a `running` outcome to a terminal one, as the runner would (complete a callback, poll). Default: poll. */
  drive?(outcome: StepOutcome, ctx: FakeContext<C>): Promise<StepOutcome>;
  teardown?(): Promise<void> | void;
}

/** Polls like the runner, but without waiting minutes between polls. */
async function pollToEnd<C>(executor: Executor<C>, outcome: StepOutcome, ctx: FakeContext<C>): Promise<StepOutcome> {
  let current = outcome;
  while (current.status === "running") {
    if (!executor.poll) throw new Error(`${executor.type} returned running, but has no poll() and the fixture has no drive()`);
    if (current.externalId !== undefined) ctx.externalId = current.externalId;
    await delay(Math.min(current.pollAfterMs ?? 0, 50));
    current = await executor.poll(ctx);
  }
  return current;
}

/** The behaviour every executor must show; call it from the executor's test file with a fixture. */
export function executorContract<C>(name: string, setup: () => Promise<ContractFixture<C>> | ContractFixture<C>): void {
  describe(`executor contract: ${name}`, () => {
    let fixture: ContractFixture<C>;
    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.teardown?.();
    });

    /** The config as the runner gets it: validated, defaults applied. */
    const prepared = (config: unknown): C => {
      const checked = validateConfig(fixture.executor.configSchema, config, "config");
      if (!checked.ok) throw new Error(`fixture config is invalid: ${JSON.stringify(checked.errors)}`);
      return checked.config as C;
    };
    const run = async (ctx: FakeContext<C>): Promise<StepOutcome> => {
      const outcome = await fixture.executor.start(ctx);
      if (outcome.status !== "running") return outcome;
      return fixture.drive ? fixture.drive(outcome, ctx) : pollToEnd(fixture.executor, outcome, ctx);
    };

    it("has a type, a description and a retry policy", () => {
      expect(fixture.executor.type).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(fixture.executor.description.trim().length).toBeGreaterThan(10);
      expect(typeof fixture.executor.safeToRetry).toBe("boolean");
    });

    it("accepts the fixture configs", () => {
      for (const config of [fixture.succeedingConfig, fixture.failingConfig, fixture.slowConfig]) {
        expect(validateConfig(fixture.executor.configSchema, config, "config")).toMatchObject({ ok: true });
      }
    });

    it("rejects an empty config, garbage and unknown keys with errors that name the field", () => {
      const unknownKey = { ...(fixture.succeedingConfig as object), definitelyNotAKey: 1 };
      for (const config of [{}, "garbage", 42, null, [], unknownKey]) {
        const checked = validateConfig(fixture.executor.configSchema, config, "steps[0].config");
        expect(checked.ok, `accepted ${JSON.stringify(config)}`).toBe(false);
        if (checked.ok) continue;
        expect(checked.errors.length).toBeGreaterThan(0);
        for (const error of checked.errors) {
          expect(error.path).toMatch(/^steps\[0\]\.config/);
          expect(error.message.trim()).not.toBe("");
        }
      }
      const checked = validateConfig(fixture.executor.configSchema, unknownKey, "steps[0].config");
      expect(checked).toMatchObject({ ok: false, errors: [{ path: "steps[0].config.definitelyNotAKey" }] });
    });

    it("ends succeeded with the succeeding config and says what it did in the log", async () => {
      const ctx = fakeContext(prepared(fixture.succeedingConfig));
      expect(await run(ctx)).toMatchObject({ status: "succeeded" });
      expect(ctx.log.of("system").length).toBeGreaterThan(0);
    });

    it("ends failed with a message (rather than throwing) with the failing config", async () => {
      const ctx = fakeContext(prepared(fixture.failingConfig));
      const outcome = await run(ctx);
      expect(outcome.status).toBe("failed");
      expect(outcome.message?.trim()).toBeTruthy();
      expect(ctx.log.of("system").length).toBeGreaterThan(0);
    });

    it("stops within 5s with an AbortError when cancelled, leaving nothing running", async () => {
      const ctx = fakeContext(prepared(fixture.slowConfig));
      const settled = run(ctx).then(
        (outcome) => ({ outcome }),
        (error: unknown) => ({ error }),
      );
      await (fixture.slowStarted ? fixture.slowStarted() : delay(300));
      const abortedAt = Date.now();
      ctx.abort();
      const result = await Promise.race([settled, delay(5000, { timedOut: true as const })]);
      expect(result, "still running 5s after abort").not.toHaveProperty("timedOut");
      expect(Date.now() - abortedAt).toBeLessThan(5000);
      expect(result).toHaveProperty("error");
      expect((result as { error: Error }).error.name).toBe("AbortError");
      await fixture.assertStopped?.();
    });

    it("throws an AbortError at once when the signal is already aborted", async () => {
      const ctx = fakeContext(prepared(fixture.slowConfig));
      ctx.abort();
      const startedAt = Date.now();
      await expect(run(ctx)).rejects.toMatchObject({ name: "AbortError" });
      expect(Date.now() - startedAt).toBeLessThan(1000);
    });
  });
}
