import { arr, isJson, type Json, obj, str } from "./json.ts";

/** What a failed task's end reason boils down to, for grouping failures by root cause. */
export interface RootCause {
  /** Grouping key: kind + exception class + first meaningful frame. */
  key: string;
  kind: FailureKind;
  exceptionClass: string | null;
  frame: string | null;
  /** A short, human example message (first line of the description). */
  message: string;
  executorId: string | null;
}

export type FailureKind =
  | "gpu_oom"
  | "jvm_oom"
  | "python_udf"
  | "yarn_memory_kill"
  | "executor_lost"
  | "fetch_failed"
  | "task_killed"
  | "exception"
  | "other";

/** Frames from the JVM, Scala and Spark's own plumbing rarely say where the user's problem is; skip them. */
const PLUMBING =
  /^(java\.|javax\.|scala\.|sun\.|jdk\.|org\.apache\.spark\.(scheduler|executor|rdd|util|InterruptibleIterator|TaskContext)|org\.apache\.spark\.api\.python\.|py4j\.)/;

function firstMeaningfulFrame(event: Json): string | null {
  for (const frame of arr(event, "Stack Trace")) {
    if (!isJson(frame)) continue;
    const cls = str(frame, "Declaring Class");
    if (!cls || PLUMBING.test(cls)) continue;
    return `${cls}.${str(frame, "Method Name") ?? "?"}`;
  }
  return null;
}

/** The user frame and error type of a Python traceback (`File "...", line N, in fn` … `ValueError: …`). */
function pythonCause(description: string): { frame: string | null; error: string | null; message: string } {
  const lines = description.split("\n");
  let frame: string | null = null;
  for (const line of lines) {
    const match = /^\s*File "([^"]+)", line (\d+), in (.+)$/.exec(line);
    if (match && !/pyspark[/\\]|py4j[/\\]/.test(match[1] ?? "")) {
      const file = (match[1] ?? "").split(/[/\\]/).pop() ?? "";
      frame = `${file}:${match[2]} in ${match[3]}`;
    }
  }
  const last = [...lines].reverse().find((line) => /^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*:?/.test(line.trim()));
  const error = last ? (last.trim().split(":")[0] ?? null) : null;
  return { frame, error, message: last?.trim() ?? lines[0] ?? "" };
}

/** Numbers, hex and ids vary between attempts of the same failure; blank them so the failures group. */
export function normalise(message: string): string {
  return message
    .replace(/0x[0-9a-f]+/gi, "0x…")
    .replace(/container_[\w]+/g, "container_…")
    .replace(/\d+(\.\d+)?/g, "N")
    .slice(0, 160);
}

export function rootCause(reasonObj: Json, reason: string): RootCause {
  switch (reason) {
    case "ExceptionFailure":
      return exceptionCause(reasonObj);
    case "ExecutorLostFailure": {
      const loss = str(reasonObj, "Loss Reason") ?? "executor lost";
      const yarn = /killed by YARN for exceeding (physical )?memory limits|exceeding memory limits/i.test(loss);
      return {
        key: yarn ? "yarn_memory_kill" : `executor_lost:${normalise(loss)}`,
        kind: yarn ? "yarn_memory_kill" : "executor_lost",
        exceptionClass: null,
        frame: null,
        message: loss.split("\n")[0] ?? loss,
        executorId: str(reasonObj, "Executor ID"),
      };
    }
    case "FetchFailed": {
      const bm = obj(reasonObj, "Block Manager Address");
      const message = str(reasonObj, "Message") ?? "fetch failed";
      return {
        key: "fetch_failed",
        kind: "fetch_failed",
        exceptionClass: "FetchFailedException",
        frame: null,
        message: message.split("\n")[0] ?? message,
        executorId: str(bm, "Executor ID"),
      };
    }
    case "TaskKilled": {
      const kill = str(reasonObj, "Kill Reason") ?? "killed";
      return {
        key: "task_killed",
        kind: "task_killed",
        exceptionClass: null,
        frame: null,
        message: kill.split("\n")[0] ?? kill,
        executorId: null,
      };
    }
    default:
      return { key: `other:${reason}`, kind: "other", exceptionClass: null, frame: null, message: reason, executorId: null };
  }
}

function exceptionCause(reasonObj: Json): RootCause {
  const cls = str(reasonObj, "Class Name") ?? "UnknownException";
  const description = str(reasonObj, "Description") ?? "";
  const full = str(reasonObj, "Full Stack Trace") ?? "";
  if (/PythonException/.test(cls)) {
    const py = pythonCause(description);
    return {
      key: `python_udf:${py.error ?? "?"}:${py.frame ?? "?"}`,
      kind: "python_udf",
      exceptionClass: py.error ? `${cls} (${py.error})` : cls,
      frame: py.frame,
      message: py.message,
      executorId: null,
    };
  }
  const frame = firstMeaningfulFrame(reasonObj);
  const text = `${cls} ${description} ${full.slice(0, 2000)}`;
  const kind: FailureKind =
    /GpuSplitAndRetryOOM|GpuRetryOOM|GpuOOM|RMM.*(out of memory|OutOfMemory)|GPU OutOfMemory|CudfException.*out of memory/i.test(
      text,
    )
      ? "gpu_oom"
      : /OutOfMemoryError/.test(cls)
        ? "jvm_oom"
        : /killed by YARN for exceeding/i.test(text)
          ? "yarn_memory_kill"
          : "exception";
  return {
    key: `${kind}:${cls}:${frame ?? "?"}`,
    kind,
    exceptionClass: cls,
    frame,
    message: `${cls}: ${(description.split("\n")[0] ?? "").slice(0, 300)}`,
    executorId: null,
  };
}
