import { stat } from "node:fs/promises";
import { type Static, Type } from "typebox";
import { formatDuration } from "../../../shared/duration.ts";
import { type ChildResult, superviseChild } from "./child.supervisor.ts";
import { DurationSchema, durationMs, NamedStringsSchema } from "./executor.schema.ts";
import { cancelledError, type ExecutionContext, type Executor, type StepOutcome, TerminalError } from "./executor.types.ts";
import { type LaunchedChild, Launcher } from "./launcher.ts";

const DEFAULT_TIMEOUT = "30m";
/** One per server process: commands start from its small helper process, not by forking the server (see launcher.ts). */
const launcher = new Launcher();

export const ShellConfigSchema = Type.Refine(
  Type.Object(
    {
      command: Type.Union([
        Type.Refine(
          Type.Array(Type.String(), {
            minItems: 1,
            description: "The program and its arguments, passed as they are (no shell, no quoting, no $VARS)",
          }),
          (argv) => argv[0] !== "",
          () => "must start with the program to run, not an empty string",
        ),
        Type.String({ minLength: 1, description: "A shell command line; only with `shell: true`" }),
      ]),
      shell: Type.Optional(Type.Boolean({ default: false, description: "Run `command` through /bin/sh -c" })),
      cwd: Type.Optional(Type.String({ minLength: 1, description: "Working directory (default: the server's)" })),
      env: Type.Optional(
        NamedStringsSchema({
          name: /^[A-Za-z_][A-Za-z0-9_]*$/,
          what: "environment variable name",
          description: "Extra environment variables, on top of the server's",
        }),
      ),
      timeout: Type.Optional(DurationSchema({ default: DEFAULT_TIMEOUT, description: "Stop the command after this long" })),
    },
    { additionalProperties: false },
  ),
  (config) => typeof config.command !== "string" || config.shell === true,
  () =>
    'has a string `command`, which needs `shell: true`; or give the program and its arguments as a list, e.g. ["./deploy.sh", "prod"]',
);
export type ShellConfig = Static<typeof ShellConfigSchema>;

export const shellExecutor: Executor<ShellConfig> = {
  type: "shell",
  description: "Runs a command on the stagegate server; exit code 0 means deployed. Output is kept as the deployment log.",
  configSchema: ShellConfigSchema,
  safeToRetry: false,

  // Fork the launcher while the server is small, and so the first deploy does not wait for a node process to start.
  warmUp() {
    launcher.start();
  },

  async start(ctx) {
    const { config } = ctx;
    if (ctx.signal.aborted) throw cancelledError(ctx.signal.reason);
    const timeoutMs = durationMs(config.timeout, DEFAULT_TIMEOUT);
    const shown = displayCommand(config.command);
    if (config.cwd !== undefined) await assertDirectory(config.cwd, shown);
    ctx.log.write("system", `$ ${shown}`);
    const startedAt = Date.now();
    const child = await launchCommand(ctx, shown);
    const result = await superviseChild(child, {
      signal: ctx.signal,
      timeoutMs,
      write: (stream, line) => ctx.log.write(stream, line),
    });
    const took = formatDuration(Date.now() - startedAt);
    return outcomeOf(result, { ctx, shown, took, timeoutMs });
  },
};

async function launchCommand(ctx: ExecutionContext<ShellConfig>, shown: string): Promise<LaunchedChild> {
  const { command, shell, cwd } = ctx.config;
  const [program, ...args] = typeof command === "string" ? [command] : command;
  if (!program) throw new TerminalError(`cannot run \`${shown}\`: the program (first item of \`command\`) is empty`);
  try {
    // With `shell: true` Node runs `/bin/sh -c <program args…>`; a list is joined with spaces, as the shell would see it.
    return await launcher.launch({ program, args, cwd, env: environmentOf(ctx), shell: shell === true });
  } catch (error) {
    const message = `cannot run \`${shown}\`: ${spawnErrorText(error as NodeJS.ErrnoException)}`;
    ctx.log.write("system", message);
    throw new TerminalError(message, { cause: error });
  }
}

/**
 * The server's environment, then the configured variables, then what stagegate knows about the deployment, and where
 * the command sends its logs and metrics (the deployment's run: the names docs/logging.md uses).
 */
function environmentOf(ctx: ExecutionContext<ShellConfig>): NodeJS.ProcessEnv {
  const { deployment, project, environment, release, run } = ctx;
  return {
    ...process.env,
    ...ctx.config.env,
    STAGEGATE_PROJECT: project.slug,
    STAGEGATE_ENVIRONMENT: environment.name,
    STAGEGATE_RELEASE: release.version,
    STAGEGATE_COMMIT: release.commitSha,
    STAGEGATE_DEPLOYMENT_ID: deployment.id,
    STAGEGATE_DEPLOYMENT_KIND: deployment.kind,
    ...(release.branch ? { STAGEGATE_BRANCH: release.branch } : {}),
    ...(release.artifactUrl ? { STAGEGATE_ARTIFACT_URL: release.artifactUrl } : {}),
    ...(run ? { STAGEGATE_URL: run.url, STAGEGATE_RUN: run.id, STAGEGATE_INGEST_TOKEN: run.ingestToken } : {}),
  };
}

function outcomeOf(
  result: ChildResult,
  run: { ctx: ExecutionContext<ShellConfig>; shown: string; took: string; timeoutMs: number },
): StepOutcome {
  const log = (line: string) => run.ctx.log.write("system", line);
  switch (result.kind) {
    case "exited": {
      const message = result.code === null ? `killed by signal ${result.signal ?? "unknown"}` : `exit code ${result.code}`;
      log(`${message} after ${run.took}`);
      return result.code === 0 ? { status: "succeeded" } : { status: "failed", message };
    }
    case "lost": {
      const message = "lost track of the command: the process that launched it exited; its process group was stopped";
      log(message);
      throw new TerminalError(message);
    }
    case "timed-out": {
      const message = `timed out after ${formatDuration(run.timeoutMs)}`;
      log(`${message}; the process group was stopped`);
      throw new TerminalError(message);
    }
    case "cancelled":
      log(`cancelled after ${run.took}; the process group was stopped`);
      throw cancelledError(run.ctx.signal.reason);
  }
}

function spawnErrorText(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOENT":
      return "program not found (check the name and PATH, or give an absolute path)";
    case "EACCES":
      return "permission denied (is the file executable?)";
    default:
      return error.message;
  }
}

async function assertDirectory(cwd: string, shown: string): Promise<void> {
  const info = await stat(cwd).catch((error: NodeJS.ErrnoException) => {
    throw new TerminalError(
      `cannot run \`${shown}\`: working directory "${cwd}" ${error.code === "ENOENT" ? "does not exist" : `is not usable (${error.code})`}`,
      {
        cause: error,
      },
    );
  });
  if (!info.isDirectory()) throw new TerminalError(`cannot run \`${shown}\`: working directory "${cwd}" is not a directory`);
}

/** For the log only: quotes arguments the way a shell user would type them. Secrets belong in env, which is not shown. */
function displayCommand(command: string | string[]): string {
  if (typeof command === "string") return command;
  return command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(" ");
}
