// @ts-check
// The command launcher: a small Node process that starts shell deploy commands for the server (see launcher.ts).
// Plain JavaScript, so it starts with bare `node` and stays small: forking a small process is cheap, forking the server
// is not. Messages in: { op: "spawn", id, program, args, cwd, env, shell }. Messages out, per id, in this order:
// "spawned" (pid) or "error", then "data"/"end" per stream and one "exit".
import { spawn } from "node:child_process";

/** Unacknowledged messages at which the commands' output is paused, and at which it flows again. */
const HIGH_WATER = 256;
const LOW_WATER = 64;

let outstanding = 0;
/** @type {Set<import("node:stream").Readable>} */
const streams = new Set();

/** @param {Record<string, unknown>} message */
function post(message) {
  if (!process.send) return;
  outstanding++;
  process.send(message, undefined, {}, () => {
    outstanding--;
    if (outstanding === LOW_WATER) for (const stream of streams) stream.resume();
  });
  if (outstanding >= HIGH_WATER) for (const stream of streams) stream.pause();
}

/** @param {NodeJS.ErrnoException} error */
function plain(error) {
  return { message: error.message, code: error.code, errno: error.errno, syscall: error.syscall, path: error.path };
}

/** @param {{ id: number, program: string, args: string[], cwd?: string, env: NodeJS.ProcessEnv, shell: boolean }} request */
function start(request) {
  const { id } = request;
  /** @type {import("node:child_process").ChildProcess} */
  let child;
  try {
    // Detached: the command leads its own process group, which the server signals to stop it and its children.
    child = spawn(request.program, request.args, {
      cwd: request.cwd,
      env: request.env,
      shell: request.shell,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    post({ id, op: "error", error: plain(/** @type {NodeJS.ErrnoException} */ (error)) });
    return;
  }
  child.once("spawn", () => post({ id, op: "spawned", pid: child.pid }));
  child.once("error", (error) => {
    if (child.pid === undefined) post({ id, op: "error", error: plain(error) });
  });
  for (const name of /** @type {const} */ (["stdout", "stderr"])) {
    const stream = child[name];
    if (!stream) continue;
    streams.add(stream);
    if (outstanding >= HIGH_WATER) stream.pause();
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => post({ id, op: "data", stream: name, chunk }));
    stream.once("close", () => {
      streams.delete(stream);
      post({ id, op: "end", stream: name });
    });
  }
  child.once("exit", (code, signal) => post({ id, op: "exit", code, signal }));
}

process.on("message", (message) => {
  const request = /** @type {{ op?: string }} */ (message);
  if (request.op === "spawn") start(/** @type {Parameters<typeof start>[0]} */ (message));
});
// The server is gone: nobody reads the output any more. Its commands keep their own process groups, as they would have.
process.once("disconnect", () => process.exit(0));
