import { type ChildProcess, fork } from "node:child_process";
import { PassThrough, type Readable } from "node:stream";

export interface LaunchRequest {
  program: string;
  args: string[];
  cwd?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Run through `/bin/sh -c`, as `child_process.spawn`'s `shell: true` does. */
  shell: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A command the launcher started: it leads its own process group (signal `-pid` to stop it and its children). */
export interface LaunchedChild {
  pid: number;
  stdout: Readable;
  stderr: Readable;
  /** How the command ended; `lost` when the launcher died first (the command's group has then been killed). */
  exited: Promise<ExitStatus | "lost">;
}

/** What launcher.child.mjs sends, per command id. */
type FromLauncher = { id: number } & (
  | { op: "spawned"; pid: number }
  | { op: "error"; error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } }
  | { op: "data"; stream: "stdout" | "stderr"; chunk: string }
  | { op: "end"; stream: "stdout" | "stderr" }
  | { op: "exit"; code: number | null; signal: NodeJS.Signals | null }
);

interface Launch {
  /** The helper process that runs it. */
  helper: ChildProcess;
  stdout: PassThrough;
  stderr: PassThrough;
  /** Set once started; the launch is forgotten when it has exited and both streams have ended. */
  pid?: number;
  exitStatus?: ExitStatus;
  open: number;
  exited: Promise<ExitStatus | "lost">;
  settleExit(status: ExitStatus | "lost"): void;
  resolve(child: LaunchedChild): void;
  reject(error: Error): void;
}

const CHILD_SCRIPT = new URL("./launcher.child.mjs", import.meta.url);

/**
 * Starts commands from a small helper process instead of the server itself. `child_process.spawn` forks the calling
 * process: in a server with a few hundred MB of heap that blocks the event loop for tens of milliseconds per command,
 * and every page the server touches afterwards takes a copy-on-write fault (`npm run bench -- launch`; bench/RESULTS.md).
 * The helper is forked once, with bare `node`: by `start()` when the job runner starts, else on first use. If it dies it
 * is forked again on the next launch, and the commands it was watching are reported `lost`.
 */
export class Launcher {
  #process: ChildProcess | undefined;
  #nextId = 1;
  readonly #launches = new Map<number, Launch>();

  launch(request: LaunchRequest): Promise<LaunchedChild> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      let settleExit: Launch["settleExit"] = () => undefined;
      const exited = new Promise<ExitStatus | "lost">((settle) => {
        settleExit = settle;
      });
      const stdout = new PassThrough({ encoding: "utf8" });
      const stderr = new PassThrough({ encoding: "utf8" });
      const helper = this.#helper();
      this.#launches.set(id, { helper, stdout, stderr, open: 2, exited, settleExit, resolve, reject });
      // While a command runs its messages must keep this process alive; when none runs the helper must not.
      helper.channel?.ref();
      helper.send({ op: "spawn", id, ...request }, (error) => {
        if (error) this.#fail(id, new Error(`could not hand the command to the launcher: ${error.message}`));
      });
    });
  }

  /** Starts the helper process now instead of on the first launch. */
  start(): void {
    this.#helper();
  }

  /** The helper process's pid while it runs (diagnostics and tests). */
  get helperPid(): number | undefined {
    return this.#process?.pid;
  }

  /** Stops the helper process (its commands keep running in their own process groups, as after a server crash). */
  close(): void {
    this.#process?.disconnect();
    this.#process = undefined;
  }

  #helper(): ChildProcess {
    if (this.#process?.connected) return this.#process;
    // Bare node: none of the server's flags or NODE_OPTIONS (each command gets its environment in its request).
    const helper = fork(CHILD_SCRIPT, [], { execArgv: [], env: {}, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    // Idle, the helper keeps nobody alive (see #forget).
    helper.unref();
    helper.channel?.unref();
    helper.on("message", (message: FromLauncher) => this.#receive(message));
    helper.once("exit", () => this.#lostAll(helper));
    helper.once("error", () => this.#lostAll(helper));
    this.#process = helper;
    return helper;
  }

  #receive(message: FromLauncher): void {
    const launch = this.#launches.get(message.id);
    if (!launch) return;
    switch (message.op) {
      case "spawned":
        launch.pid = message.pid;
        launch.resolve({ pid: message.pid, stdout: launch.stdout, stderr: launch.stderr, exited: launch.exited });
        return;
      case "error":
        this.#fail(message.id, Object.assign(new Error(message.error.message), message.error));
        return;
      case "data":
        launch[message.stream].write(message.chunk);
        return;
      case "end":
        launch[message.stream].end();
        launch.open--;
        break;
      case "exit":
        launch.exitStatus = { code: message.code, signal: message.signal };
        launch.settleExit(launch.exitStatus);
        break;
    }
    if (launch.exitStatus && launch.open === 0) this.#forget(message.id);
  }

  #forget(id: number): void {
    const launch = this.#launches.get(id);
    this.#launches.delete(id);
    if (launch && ![...this.#launches.values()].some((other) => other.helper === launch.helper)) launch.helper.channel?.unref();
  }

  #fail(id: number, error: Error): void {
    const launch = this.#launches.get(id);
    if (!launch) return;
    this.#forget(id);
    launch.stdout.end();
    launch.stderr.end();
    launch.reject(error);
  }

  /** The helper is gone: commands not yet started failed; started ones are killed and reported lost. */
  #lostAll(helper: ChildProcess): void {
    if (this.#process === helper) this.#process = undefined;
    for (const [id, launch] of this.#launches) {
      if (launch.helper !== helper) continue;
      if (launch.pid === undefined) {
        this.#fail(id, new Error("the command launcher exited before starting the command"));
        continue;
      }
      if (launch.exitStatus) {
        // Exited already; only output still in the pipes is lost.
        this.#forget(id);
        launch.stdout.end();
        launch.stderr.end();
        continue;
      }
      this.#forget(id);
      try {
        process.kill(-launch.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      launch.stdout.end();
      launch.stderr.end();
      launch.settleExit("lost");
    }
  }
}
