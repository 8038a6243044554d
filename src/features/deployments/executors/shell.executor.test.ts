import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executorContract, fakeContext } from "./executor.contract.ts";
import { TerminalError } from "./executor.types.ts";
import { MAX_LINE_CHARS, TRUNCATION_MARKER } from "./line.splitter.ts";
import { validateExecutorConfig } from "./registry.ts";
import { type ShellConfig, shellExecutor } from "./shell.executor.ts";

/** Alive = exists and is not a zombie (in a container PID 1 may never reap the orphans we kill). */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return stat === null ? true : !/^\d+ \(.*\) Z /.test(stat);
}

async function waitFor<T>(read: () => Promise<T | undefined>, what: string, ms = 3000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await delay(25)) {
    const value = await read();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

const readPid = (file: string) => () =>
  readFile(file, "utf8").then(
    (text) => (/^\d+\n$/.test(text) ? Number(text) : undefined),
    () => undefined,
  );

async function expectDead(pid: number): Promise<void> {
  await waitFor(async () => ((await isAlive(pid)) ? undefined : true), `process ${pid} to die`);
}

let dir: string;
beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), "stagegate-shell-")));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `sh` that starts a grandchild in the background, records its pid, and waits for it. */
const withGrandchild = (pidFile: string, timeout?: string): ShellConfig => ({
  command: ["sh", "-c", `sleep 30 & echo $! > ${pidFile}; wait`],
  ...(timeout ? { timeout } : {}),
});

executorContract("shell", () => {
  const pidFile = join(dir, "contract.pid");
  return {
    executor: shellExecutor,
    succeedingConfig: { command: ["sh", "-c", "echo deployed"] },
    failingConfig: { command: ["sh", "-c", "echo nope >&2; exit 3"] },
    slowConfig: withGrandchild(pidFile),
    slowStarted: async () => void (await waitFor(readPid(pidFile), "the slow command to start")),
    assertStopped: async () => expectDead(await waitFor(readPid(pidFile), "the pid file")),
  };
});

const run = (config: ShellConfig) => {
  const ctx = fakeContext(config);
  return { ctx, outcome: shellExecutor.start(ctx) };
};

describe("shell executor", () => {
  it("passes argv to the program as is, without a shell", async () => {
    const { ctx, outcome } = run({ command: ["echo", "$HOME;rm -rf x", "*"] });
    expect(await outcome).toEqual({ status: "succeeded" });
    expect(ctx.log.of("stdout")).toEqual(["$HOME;rm -rf x *"]);
    expect(ctx.log.of("system")[0]).toBe("$ echo '$HOME;rm -rf x' '*'");
  });

  it("runs a string through /bin/sh when shell is true", async () => {
    const { ctx, outcome } = run({ command: "echo one && echo two | tr a-z A-Z", shell: true });
    expect(await outcome).toEqual({ status: "succeeded" });
    expect(ctx.log.of("stdout")).toEqual(["one", "TWO"]);
  });

  it("rejects a string command without shell: true at config time", () => {
    const checked = validateExecutorConfig("shell", { command: "./deploy.sh prod" }, "environments[1].executor.config");
    expect(checked).toMatchObject({ ok: false, errors: [{ path: "environments[1].executor.config" }] });
    expect(checked.ok || checked.errors[0]?.message).toMatch(/shell: true/);
    expect(validateExecutorConfig("shell", { command: ["", "prod"] }, "c")).toMatchObject({
      ok: false,
      errors: [{ path: "c.command" }],
    });
  });

  it("passes the configured env and the deployment's STAGEGATE_ variables", async () => {
    const { ctx, outcome } = run({
      command: ["sh", "-c", 'echo "$GREETING|$STAGEGATE_PROJECT|$STAGEGATE_ENVIRONMENT|$STAGEGATE_RELEASE|$STAGEGATE_COMMIT"'],
      env: { GREETING: "hello world" },
    });
    await outcome;
    expect(ctx.log.of("stdout")).toEqual([`hello world|churn-model|staging|1.4.0|${ctx.release.commitSha}`]);
    const more = run({ command: ["sh", "-c", 'echo "$STAGEGATE_DEPLOYMENT_ID $STAGEGATE_BRANCH $STAGEGATE_ARTIFACT_URL"'] });
    await more.outcome;
    expect(more.ctx.log.of("stdout")).toEqual([`dep_01TEST main ${more.ctx.release.artifactUrl}`]);
  });

  it("runs in the configured working directory", async () => {
    const { ctx, outcome } = run({ command: ["pwd"], cwd: dir });
    await outcome;
    expect(ctx.log.of("stdout")).toEqual([dir]);
  });

  it("errors terminally when the working directory does not exist", async () => {
    await expect(run({ command: ["pwd"], cwd: join(dir, "missing") }).outcome).rejects.toThrow(
      /working directory .* does not exist/,
    );
  });

  it("tags stderr lines and keeps a last line that has no newline", async () => {
    const { ctx, outcome } = run({ command: ["sh", "-c", "printf 'out 1\\nout 2'; printf 'err 1\\r\\nerr 2\\n' >&2"] });
    await outcome;
    expect(ctx.log.of("stdout")).toEqual(["out 1", "out 2"]);
    expect(ctx.log.of("stderr")).toEqual(["err 1", "err 2"]);
  });

  it("truncates an enormous line instead of keeping it whole", async () => {
    const script = `process.stdout.write("x".repeat(${MAX_LINE_CHARS + 5000}) + "\\nnext\\n")`;
    const { ctx, outcome } = run({ command: [process.execPath, "-e", script] });
    await outcome;
    const [long, next] = ctx.log.of("stdout");
    expect(long).toBe(`${"x".repeat(MAX_LINE_CHARS)}${TRUNCATION_MARKER}`);
    expect(next).toBe("next");
  });

  it("ends failed with the exit code or the signal", async () => {
    expect(await run({ command: ["sh", "-c", "exit 7"] }).outcome).toEqual({ status: "failed", message: "exit code 7" });
    expect(await run({ command: ["sh", "-c", "kill -9 $$"] }).outcome).toEqual({
      status: "failed",
      message: "killed by signal SIGKILL",
    });
  });

  it("does not wait for a background process that keeps stdout open after the command exits", async () => {
    const startedAt = Date.now();
    const { ctx, outcome } = run({ command: ["sh", "-c", "sleep 3 & echo started"] });
    expect(await outcome).toEqual({ status: "succeeded" });
    expect(ctx.log.of("stdout")).toEqual(["started"]);
    expect(Date.now() - startedAt).toBeLessThan(2500);
  });

  it("times out with a TerminalError and kills the whole process tree", async () => {
    const pidFile = join(dir, "timeout.pid");
    const { ctx, outcome } = run(withGrandchild(pidFile, "1s"));
    const error = await outcome.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as Error).message).toBe("timed out after 1s");
    await expectDead(await waitFor(readPid(pidFile), "the pid file"));
    expect(ctx.log.of("system").at(-1)).toMatch(/timed out after 1s/);
  });

  it("errors terminally, naming the command, when the program does not exist", async () => {
    const error = await run({ command: ["definitely-not-a-program-xyz", "--flag"] }).outcome.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as Error).message).toMatch(/definitely-not-a-program-xyz --flag.*not found/);
  });

  it("reports an unparseable timeout at config time, naming the field", () => {
    const checked = validateExecutorConfig(
      "shell",
      { command: ["true"], timeout: "ten minutes" },
      "environments[1].executor.config",
    );
    expect(checked).toEqual({
      ok: false,
      errors: [
        { path: "environments[1].executor.config.timeout", message: expect.stringContaining('"ten minutes" is not a duration') },
      ],
    });
  });

  it("applies defaults at config time", () => {
    expect(validateExecutorConfig("shell", { command: ["true"] }, "c")).toEqual({
      ok: true,
      config: { command: ["true"], shell: false, timeout: "30m" },
    });
  });
});
