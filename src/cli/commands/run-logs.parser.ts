import { createHash } from "node:crypto";

/**
 * Spark / Databricks cluster log files → NDJSON records, client-side (`stagegate run import-logs`).
 *
 * A dated line starts a record: log4j (`24/05/01 12:00:00 INFO SparkContext: msg`, ISO `2024-05-01 12:00:00,123 INFO …`),
 * Python logging (`2024-05-01 12:00:00,123 - train - ERROR - msg`, and the undated default `ERROR:train:msg`), the
 * Databricks Python shell's `Thu May  2 12:00:00 2024 Connected to spark.` and JVM GC lines (`2024-05-01T12:00:00.123+0000: …`).
 * Indented lines, `at …`, `Caused by:`, `... N more`, Java exception names and Py4J's `: org.apache…` continue it (the
 * stack). A Python traceback continues the record just before it when that record is a warning or error of a logger
 * (what `log.exception()` prints); otherwise it becomes one error record whose message is its last line. Chained
 * tracebacks ("During handling of the above exception…") stay one record. Other lines are records of the stream's
 * default level.
 *
 * Undated records take the time of the nearest dated record before them in the file (the first one after them for lines
 * at the top; the file's modification time in a file with no dated line), so every file keeps its own order.
 */
export interface ImportedRecord {
  ts?: string;
  level: string;
  msg: string;
  node: string;
  logger?: string;
  stack?: string;
  file: string;
  /**
   * Stable id (OpenTelemetry `log.record.uid`): the same record imported twice has the same id, whether it comes from
   * the folder, a zip of it, or a rotated `.gz` of the active log.
   */
  "log.record.uid": string;
}

export interface ParseOptions {
  /** The file's path inside the import (kept as the `file` attribute). */
  file: string;
  node: string;
  /** When the file was last written: the time of records in a file without any dated line. */
  mtime?: Date;
}

interface Head {
  stamp?: string;
  ts?: string;
  level?: string;
  logger?: string;
  msg: string;
}

const LEVEL_WORD = "TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL|SEVERE";
const LOG4J = new RegExp(
  `^(\\d{2}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}|\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}(?:[,.]\\d{1,6})?)\\s+(${LEVEL_WORD})\\s+([^\\s:]+):?\\s?(.*)$`,
);
const PYTHON_DASHED = new RegExp(
  `^(\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}(?:[,.]\\d{1,6})?) - (\\S+) - (${LEVEL_WORD}) - (.*)$`,
);
const PYTHON_PLAIN = /^(DEBUG|INFO|WARNING|ERROR|CRITICAL):([^:\s]+):(.*)$/;
/** Databricks' Python shell on the driver's stdout: `Thu May  2 12:00:00 2024 Connection to spark from PID  1234`. */
const CTIME =
  /^((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})) (.*)$/;
/** JVM GC logs and other ISO-stamped lines: `2024-05-01T12:00:00.123+0000: [GC (Allocation Failure) …]`. */
const ISO_PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?):?\s+(.*)$/;
const CONTINUATION =
  /^(\s+|at\s|Caused by:|\.\.\. \d+ more|Suppressed:|: [a-zA-Z_$][\w$]*\.|[a-zA-Z_$][\w$]*(\.[a-zA-Z_$][\w$]*)+(Exception|Error|Throwable)\b)/;
const TRACEBACK = "Traceback (most recent call last):";
const CHAINED =
  /^(During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function levelOf(word: string): string {
  const lower = word.toLowerCase();
  if (lower === "warning") return "warn";
  if (lower === "critical") return "fatal";
  if (lower === "severe") return "error";
  return lower;
}

/** Cluster clocks are UTC; stamps without a zone are read as UTC. */
function isoOf(stamp: string): string | undefined {
  const short = /^(\d{2})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(stamp);
  if (short) {
    const [, y, mo, d, h, mi, s] = short;
    return new Date(Date.UTC(2000 + Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))).toISOString();
  }
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(stamp);
  const text = stamp
    .replace(" ", "T")
    .replace(",", ".")
    .replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const parsed = Date.parse(zoned ? text : `${text}Z`);
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}

function headOf(line: string, fallbackLevel: string): Head | undefined {
  const log4j = LOG4J.exec(line);
  if (log4j) {
    const [, stamp = "", level = "INFO", logger = "", msg = ""] = log4j;
    return { stamp, ...tsOf(isoOf(stamp)), level: levelOf(level), logger, msg };
  }
  const dashed = PYTHON_DASHED.exec(line);
  if (dashed) {
    const [, stamp = "", logger = "", level = "INFO", msg = ""] = dashed;
    return { stamp, ...tsOf(isoOf(stamp)), level: levelOf(level), logger, msg };
  }
  const plain = PYTHON_PLAIN.exec(line);
  if (plain) {
    const [, level = "INFO", logger = "", msg = ""] = plain;
    return { level: levelOf(level), logger, msg };
  }
  const ctime = CTIME.exec(line);
  if (ctime) {
    const [, stamp = "", month = "", day, h, mi, s, year, msg = ""] = ctime;
    const ts = new Date(
      Date.UTC(Number(year), MONTHS.indexOf(month), Number(day), Number(h), Number(mi), Number(s)),
    ).toISOString();
    return { stamp, ts, level: fallbackLevel, msg };
  }
  const iso = ISO_PREFIX.exec(line);
  if (iso) {
    const [, stamp = "", msg = ""] = iso;
    const ts = isoOf(stamp);
    return ts ? { stamp, ts, level: fallbackLevel, msg } : undefined;
  }
  return undefined;
}

function tsOf(ts: string | undefined): { ts?: string } {
  return ts ? { ts } : {};
}

/** `…/driver/log4j-active.log` → driver; `…/executor/app-2024…/3/stderr` (or `app-…/3/stderr`, `3/stderr`) → executor-3. */
export function nodeOfPath(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== "" && part !== ".");
  // The innermost of the two wins: `/home/executor/logs/driver/stdout` is the driver's.
  const executor = parts.lastIndexOf("executor");
  const driver = parts.lastIndexOf("driver");
  if (driver > executor) return "driver";
  if (executor >= 0 && parts[executor + 2] && executor + 2 < parts.length - 1) return `executor-${parts[executor + 2]}`;
  if (driver >= 0) return "driver";
  const parent = parts.length > 1 ? parts[parts.length - 2] : undefined;
  const grandParent = parts.length > 2 ? parts[parts.length - 3] : undefined;
  // An executor's folder imported on its own: `<app-id>/<executor-id>/stderr` or `<executor-id>/stderr`.
  if (
    parent &&
    /^\d+$/.test(parent) &&
    (grandParent === undefined || /^app-[\w-]+$/.test(grandParent) || grandParent === "executor")
  )
    return `executor-${parent}`;
  return parent ?? "default";
}

/** `stdout`, `stderr` or `log4j`: the stream a file (or its rotated copy) belongs to. */
function streamOf(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return /^(stdout|stderr|log4j)/.exec(name)?.[1] ?? name;
}

interface Draft {
  record: Omit<ImportedRecord, "log.record.uid">;
  /** The stamp of the record, or of the dated record it takes its time from: part of its stable id. */
  anchor: string;
  /** A record of a logger line (dated or `ERROR:name:msg`), which a traceback right after it belongs to. */
  headed: boolean;
}

export function parseSparkLog(text: string, options: ParseOptions): ImportedRecord[] {
  const drafts: Draft[] = [];
  const fallbackLevel = /stderr/.test(streamOf(options.file)) ? "warn" : "info";
  let anchor: { stamp: string; ts: string } | undefined;
  let current: Draft | undefined;
  /** Lines since `current` was written were blank: a traceback after them is not its stack. */
  let gap = false;
  let traceback: { lines: string[]; owner: Draft | undefined } | undefined;
  /** The record the last traceback ended in, while only blank lines or a "During handling…" line followed. */
  let chain: Draft | undefined;

  const add = (draft: Draft) => {
    drafts.push(draft);
    current = draft;
    gap = false;
  };
  const appendStack = (draft: Draft, lines: string) => {
    draft.record.stack = draft.record.stack ? `${draft.record.stack}\n${lines}` : lines;
  };
  const untimed = (record: Omit<ImportedRecord, "log.record.uid" | "ts">): Draft => ({
    record: { ...(anchor ? { ts: anchor.ts } : {}), ...record },
    anchor: anchor?.stamp ?? "",
    headed: false,
  });
  const endTraceback = (lines: string[], owner: Draft | undefined, last: string) => {
    const stack = lines.join("\n");
    if (owner) {
      appendStack(owner, stack);
      // A traceback that stood on its own is named by its last exception (the one raised last when chained).
      if (!owner.headed) owner.record.msg = last;
      chain = owner;
      gap = false;
      return;
    }
    const draft = untimed({ level: "error", msg: last, stack, node: options.node, file: options.file });
    add(draft);
    chain = draft;
  };

  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (traceback) {
      traceback.lines.push(line);
      // The block ends with the exception line: not indented, not empty.
      if (line !== "" && !/^\s/.test(line) && !line.startsWith("Traceback")) {
        endTraceback(traceback.lines, traceback.owner, line);
        traceback = undefined;
      }
      continue;
    }
    if (line.trim() === "") {
      gap = true;
      continue;
    }
    if (chain && CHAINED.test(line)) {
      appendStack(chain, `\n${line}\n`);
      continue;
    }
    if (line.startsWith(TRACEBACK)) {
      const chained = chain !== undefined && chain === current && chain.record.stack?.endsWith("\n") === true;
      const owner =
        chained || (current?.headed && !gap && ["warn", "error", "fatal"].includes(current.record.level)) ? current : undefined;
      traceback = { lines: [line], owner };
      chain = undefined;
      continue;
    }
    chain = undefined;
    const head = headOf(line, fallbackLevel);
    if (head) {
      const { stamp, ts, level = fallbackLevel, logger, msg } = head;
      if (stamp && ts) {
        // Lines at the top of the file, before any dated one, take the first time the file gives.
        if (!anchor) for (const draft of drafts) draft.record.ts ??= ts;
        anchor = { stamp, ts };
        add({
          record: { ts, level, ...(logger ? { logger } : {}), msg, node: options.node, file: options.file },
          anchor: stamp,
          headed: logger !== undefined,
        });
      } else {
        add({ ...untimed({ level, ...(logger ? { logger } : {}), msg, node: options.node, file: options.file }), headed: true });
      }
      continue;
    }
    if (current && CONTINUATION.test(line)) {
      appendStack(current, line);
      continue;
    }
    add(untimed({ level: fallbackLevel, msg: line, node: options.node, file: options.file }));
  }
  if (traceback) endTraceback(traceback.lines, traceback.owner, traceback.lines[traceback.lines.length - 1] ?? "");

  const fileTime = options.mtime && !Number.isNaN(options.mtime.getTime()) ? options.mtime.toISOString() : undefined;
  const seen = new Map<string, number>();
  const stream = streamOf(options.file);
  return drafts.map(({ record, anchor: stamp }) => {
    const key = [record.node, stream, stamp, record.level, record.msg, record.stack ?? ""].join("\u0000");
    const occurrence = (seen.get(key) ?? 0) + 1;
    seen.set(key, occurrence);
    const uid = createHash("sha256").update(`${key}\u0000${occurrence}`).digest("hex").slice(0, 32);
    const ts = record.ts ?? fileTime;
    return { ...record, ...(ts ? { ts } : {}), "log.record.uid": uid };
  });
}
