/**
 * Spark / Databricks cluster log files → NDJSON records, client-side (`stagegate run import-logs`). log4j lines
 * (`24/05/01 12:00:00 INFO SparkContext: msg`, or ISO `2024-05-01 12:00:00,123 INFO …`) start a record; indented lines,
 * `at …`, `Caused by:`, `...` and Java exception lines continue it (the stack); a Python `Traceback (most recent call last):` block becomes
 * one error record whose message is its last line. Anything else is a plain record of the stream's default level.
 */
export interface ImportedRecord {
  ts?: string;
  level: string;
  msg: string;
  node: string;
  logger?: string;
  stack?: string;
  file: string;
}

const LOG4J =
  /^(\d{2}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,3})?)\s+(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\s+([^\s:]+):?\s?(.*)$/;
const CONTINUATION =
  /^(\s+|at\s|Caused by:|\.\.\. \d+ more|Suppressed:|[a-zA-Z_$][\w$]*(\.[a-zA-Z_$][\w$]*)+(Exception|Error|Throwable)\b)/;

function isoOf(stamp: string): string | undefined {
  const short = /^(\d{2})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(stamp);
  if (short) {
    const [, y, mo, d, h, mi, s] = short;
    return new Date(Date.UTC(2000 + Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))).toISOString();
  }
  const parsed = Date.parse(`${stamp.replace(" ", "T").replace(",", ".")}Z`);
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}

/** `…/driver/log4j-active.log` → driver; `…/executor/app-2024…/3/stderr` → executor-3. */
export function nodeOfPath(path: string): string {
  const parts = path.split(/[\\/]/);
  const executor = parts.lastIndexOf("executor");
  if (executor >= 0 && parts[executor + 2]) return `executor-${parts[executor + 2]}`;
  if (parts.includes("driver")) return "driver";
  return parts.length > 1 ? (parts[parts.length - 2] ?? "default") : "default";
}

export function parseSparkLog(text: string, options: { file: string; node: string }): ImportedRecord[] {
  const records: ImportedRecord[] = [];
  const fallbackLevel = /stderr/.test(options.file) ? "warn" : "info";
  let current: ImportedRecord | undefined;
  let traceback: string[] | undefined;
  const push = (record: ImportedRecord) => {
    records.push(record);
    current = record;
  };
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (traceback) {
      traceback.push(line);
      // The block ends with the exception line: not indented, not empty.
      if (line !== "" && !/^\s/.test(line) && !line.startsWith("Traceback")) {
        push({ level: "error", msg: line, stack: traceback.join("\n"), node: options.node, file: options.file });
        traceback = undefined;
      }
      continue;
    }
    if (line.startsWith("Traceback (most recent call last):")) {
      traceback = [line];
      continue;
    }
    const match = LOG4J.exec(line);
    if (match) {
      const [, stamp = "", level = "INFO", logger, msg = ""] = match;
      const ts = isoOf(stamp);
      push({ ...(ts ? { ts } : {}), level: level.toLowerCase(), logger, msg, node: options.node, file: options.file });
      continue;
    }
    if (current && CONTINUATION.test(line) && line.trim() !== "") {
      current.stack = current.stack ? `${current.stack}\n${line}` : line;
      continue;
    }
    if (line.trim() === "") continue;
    push({ level: fallbackLevel, msg: line, node: options.node, file: options.file });
  }
  if (traceback)
    records.push({
      level: "error",
      msg: traceback[traceback.length - 1] ?? "",
      stack: traceback.join("\n"),
      node: options.node,
      file: options.file,
    });
  return records;
}
