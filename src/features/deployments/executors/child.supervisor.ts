import type { Readable } from "node:stream";
import type { LogStream } from "./executor.types.ts";
import type { LaunchedChild } from "./launcher.ts";
import { LineSplitter } from "./line.splitter.ts";

/** How long a process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;
/** How long to keep reading after the process exited: a background child may still hold stdout open. */
const STDIO_GRACE_MS = 1000;

export type ChildResult =
  | { kind: "exited"; code: number | null; signal: NodeJS.Signals | null }
  | { kind: "timed-out" }
  /** The launcher died while the command ran; its process group was killed. */
  | { kind: "lost" }
  | { kind: "cancelled" };

export interface SuperviseOptions {
  signal: AbortSignal;
  timeoutMs: number;
  write(stream: LogStream, line: string): void;
}

/**
 * Waits for a launched command (it leads its own process group), forwarding its output line by line. On timeout or
 * abort it stops the whole group — grandchildren included — with SIGTERM, then SIGKILL after a grace period, and only
 * settles once the group has been dealt with.
 */
export function superviseChild(child: LaunchedChild, options: SuperviseOptions): Promise<ChildResult> {
  return new Promise((resolve) => {
    let stopping: "timed-out" | "cancelled" | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const streams = [forward(child.stdout, "stdout", options), forward(child.stderr, "stderr", options)];

    const settle = (result: ChildResult) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
      // Whatever still holds the pipes after the grace period is not ours to wait for.
      for (const stream of streams) stream.close();
      if (stopping) signalGroup(child.pid, "SIGKILL", options);
      resolve(result);
    };
    const finishIfDrained = () => {
      if (exit && streams.every((stream) => stream.ended)) settle(stopping ? { kind: stopping } : { kind: "exited", ...exit });
    };
    const stop = (why: "timed-out" | "cancelled") => {
      if (stopping || exit) return;
      stopping = why;
      const pid = child.pid;
      signalGroup(pid, "SIGTERM", options);
      timers.push(setTimeout(() => signalGroup(pid, "SIGKILL", options), KILL_GRACE_MS));
    };
    const onAbort = () => stop("cancelled");

    timers.push(setTimeout(() => stop("timed-out"), options.timeoutMs));
    options.signal.addEventListener("abort", onAbort, { once: true });
    for (const stream of streams) stream.onEnd(finishIfDrained);
    void child.exited.then((status) => {
      if (status === "lost") return settle({ kind: "lost" });
      exit = status;
      const grace = stopping ? KILL_GRACE_MS : STDIO_GRACE_MS;
      timers.push(setTimeout(() => settle(stopping ? { kind: stopping } : { kind: "exited", ...status }), grace));
      finishIfDrained();
    });
    // The command may have been cancelled while it was being launched.
    if (options.signal.aborted) onAbort();
  });
}

/** Signals every process in the group led by `pid`; a group that is already gone is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals, options: SuperviseOptions): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return;
    options.write("system", `could not send ${signal} to process group ${pid}: ${(error as Error).message}`);
  }
}

interface ForwardedStream {
  ended: boolean;
  onEnd(listener: () => void): void;
  close(): void;
}

function forward(stream: Readable, name: "stdout" | "stderr", options: SuperviseOptions): ForwardedStream {
  const splitter = new LineSplitter((line) => options.write(name, line));
  const state: ForwardedStream = {
    ended: false,
    onEnd: (listener) => stream.once("close", listener),
    close: () => {
      if (!state.ended) {
        state.ended = true;
        splitter.end();
        stream.destroy();
      }
    },
  };
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => splitter.push(chunk));
  stream.once("close", () => {
    if (state.ended) return;
    state.ended = true;
    splitter.end();
  });
  return state;
}
