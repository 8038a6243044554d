/**
 * Turns what jobs send (NDJSON objects, plain text lines, OTLP records) into bounded log records. Pure: no I/O.
 * Bounds protect the store from attribute bombs and megabyte messages: both are cut with a visible marker.
 */
import { LEVELS, type Level, type LogRecordInput } from "./runs.types.ts";

export { LEVELS, type Level, type LogRecordInput };

export const FLAG_CLAMPED = 1;
export const FLAG_TRUNCATED = 2;

export const LIMITS = {
  messageBytes: 16 * 1024,
  attributes: 64,
  attributesBytes: 16 * 1024,
  valueBytes: 2 * 1024,
  nodeChars: 200,
  /** Records more than this ahead of the server clock are clamped to it. */
  futureMs: 5 * 60_000,
  /** Records older than this are clamped to the time they arrived. */
  pastMs: 30 * 86_400_000,
};

/** OTLP severity numbers: 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal. */
export function levelOfSeverity(severity: number): Level {
  if (severity <= 0) return "info";
  return LEVELS[Math.min(5, Math.floor((severity - 1) / 4))] ?? "fatal";
}

export function severityOf(level: Level): number {
  return LEVELS.indexOf(level) * 4 + 1;
}

/** A Map, not an object literal: a level such as "constructor" is no word of ours, not Object.prototype's constructor. */
const LEVEL_WORDS = new Map<string, Level>(
  Object.entries({
    trace: "trace",
    finest: "trace",
    debug: "debug",
    fine: "debug",
    info: "info",
    information: "info",
    notice: "info",
    warn: "warn",
    warning: "warn",
    error: "error",
    err: "error",
    severe: "error",
    fatal: "fatal",
    critical: "fatal",
    crit: "fatal",
    panic: "fatal",
    emergency: "fatal",
    alert: "fatal",
  } satisfies Record<string, Level>),
);

export function parseLevel(value: unknown): Level | undefined {
  if (typeof value === "number") {
    // Python logging numbers (10 debug … 50 critical) are larger than OTLP's 1–24.
    if (value >= 10 && value % 10 === 0 && value <= 50)
      return (["debug", "info", "warn", "error", "fatal"] as const)[value / 10 - 1];
    return levelOfSeverity(value);
  }
  if (typeof value !== "string") return undefined;
  // Most lines say "info" or "INFO" as it is: no trimmed, lower-cased copy for those.
  return LEVEL_WORDS.get(value) ?? LEVEL_WORDS.get(value.trim().toLowerCase());
}

/** `object[key] = value` for the key "__proto__", which plain assignment takes as the object's prototype. */
export function defineProto(object: Record<string, unknown>, value: unknown): void {
  Object.defineProperty(object, "__proto__", { value, enumerable: true, writable: true, configurable: true });
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Cuts text to `max` bytes (on a character boundary) and says how much was dropped. */
export function truncate(text: string, max: number): { text: string; cut: boolean } {
  // PostgreSQL text cannot hold NUL; nobody means it in a log line.
  const clean = text.includes("\u0000") ? text.replaceAll("\u0000", "") : text;
  if (clean.length * 3 <= max || byteLength(clean) <= max) return { text: clean, cut: false };
  const head = Buffer.from(clean, "utf8")
    .subarray(0, max)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return { text: `${head}…[truncated ${byteLength(clean) - byteLength(head)} bytes]`, cut: true };
}

/**
 * The common case without copying: up to LIMITS.attributes short keys with numbers, booleans and short strings, which
 * the full check below would keep as they are. true = keep `attrs`, false = there are none, undefined = check fully.
 */
function withinBounds(attrs: Record<string, unknown>): boolean | undefined {
  let count = 0;
  let bytes = 0;
  for (const key in attrs) {
    if (++count > LIMITS.attributes || key.length * 3 > 200 || key.includes("\u0000")) return undefined;
    const value = attrs[key];
    if (typeof value === "number" || typeof value === "boolean") bytes += 8 + key.length;
    else if (typeof value === "string" && value.length * 3 <= LIMITS.valueBytes) bytes += value.length + key.length;
    else return undefined;
    if (bytes > LIMITS.attributesBytes) return undefined;
  }
  return count > 0;
}

/** At most LIMITS.attributes keys, each value at most LIMITS.valueBytes when serialised; a marker says what was cut. */
export function boundAttributes(attrs: Record<string, unknown>): { attrs: Record<string, unknown> | null; cut: boolean } {
  const fits = withinBounds(attrs);
  if (fits !== undefined) return fits ? { attrs, cut: false } : { attrs: null, cut: false };
  const keys = Object.keys(attrs);
  if (keys.length === 0) return { attrs: null, cut: false };
  const out: Record<string, unknown> = {};
  let cut = false;
  let bytes = 0;
  for (const key of keys.slice(0, LIMITS.attributes)) {
    let value = attrs[key];
    if (typeof value === "number" || typeof value === "boolean") {
      bytes += 8 + key.length;
      out[key] = value;
      continue;
    }
    const serialised = typeof value === "string" ? value : JSON.stringify(value ?? null);
    // Only strings that could be too long are measured in bytes.
    const size = (serialised?.length ?? 0) * 3 <= LIMITS.valueBytes ? (serialised?.length ?? 0) : byteLength(serialised ?? "");
    if (size > LIMITS.valueBytes) {
      value = truncate(serialised ?? "", LIMITS.valueBytes).text;
      cut = true;
    }
    bytes += Math.min(size, LIMITS.valueBytes) + key.length;
    if (bytes > LIMITS.attributesBytes) {
      cut = true;
      break;
    }
    const name = truncate(key, 200).text;
    if (name === "__proto__") defineProto(out, value);
    else out[name] = value;
  }
  if (keys.length > LIMITS.attributes || cut) {
    out["stagegate.truncated"] = `${keys.length} attributes sent, ${Object.keys(out).length} kept`;
    cut = true;
  }
  return { attrs: out, cut };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The two ASCII digits of `text` at `at` as a number, or NaN. */
function digits2(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` and `YYYY-MM-DDTHH:MM:SS.sssZ` (what `toISOString()` and most JSON loggers write), as
 * Date.parse reads them but without its general parser (a third of the cost of an NDJSON line besides JSON.parse).
 * undefined for anything else, valid or not, which Date.parse then reads.
 */
function parseIsoUtc(text: string): number | undefined {
  const length = text.length;
  if ((length !== 20 && length !== 24) || text.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return undefined; // - - T
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined; // : :
  let ms = 0;
  if (length === 24) {
    const tenths = text.charCodeAt(20) - 48;
    const rest = digits2(text, 21);
    if (text.charCodeAt(19) !== 46 || !(tenths >= 0 && tenths <= 9) || Number.isNaN(rest)) return undefined;
    ms = tenths * 100 + rest;
  }
  const year = digits2(text, 0) * 100 + digits2(text, 2);
  const month = digits2(text, 5);
  const day = digits2(text, 8);
  const hour = digits2(text, 11);
  const minute = digits2(text, 14);
  const second = digits2(text, 17);
  // Years below 100 would be read as 19xx by Date.UTC; out-of-range fields are Date.parse's to judge.
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59)) return undefined;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (DAYS_IN_MONTH[month - 1] ?? 0) + (leap ? 1 : 0)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** Milliseconds from an ISO string, epoch seconds/ms/µs/ns number, or numeric string. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) {
    if (value > 1e17) return Math.floor(value / 1e6); // ns
    if (value > 1e14) return Math.floor(value / 1e3); // µs
    if (value > 1e11) return Math.floor(value); // ms
    return Math.floor(value * 1000); // s (Python's time.time())
  }
  if (typeof value === "string" && value !== "") {
    // ISO-8601 dates (the usual case) start with "YYYY-", which no number does.
    if (value.charCodeAt(4) !== 45 && /^\d+(\.\d+)?$/.test(value)) return parseTimestamp(Number(value));
    const iso = parseIsoUtc(value);
    if (iso !== undefined) return iso;
    const parsed = Date.parse(value.includes(" ") && !value.includes("T") ? value.replace(" ", "T") : value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

export interface RecordParts {
  ts: number | undefined;
  node: string | undefined;
  level: Level | undefined;
  severity?: number;
  msg: string;
  attrs: Record<string, unknown>;
  traceId?: string | null;
  spanId?: string | null;
}

/**
 * Attributes that carry a stack trace: Python `logging` (`exc_info`, `exc_text`, `stack_info` as `stack`), structlog
 * and pino (`stack`, `traceback`), OpenTelemetry (`exception.stacktrace`). The first one set is moved into the message,
 * after its first line, as import-logs does with Java and Python stacks: full-text search, the error groups' example
 * stack and the log view then find it where they find every other stack.
 */
const STACK_KEYS = ["exception.stacktrace", "stack", "stacktrace", "traceback", "exc_info", "exc_text"];

function withStack(parts: RecordParts): { msg: string; attrs: Record<string, unknown> } {
  const attrs = parts.attrs;
  for (const key of STACK_KEYS) {
    const stack = attrs[key];
    if (typeof stack !== "string" || stack.trim() === "") continue;
    const { [key]: _moved, ...rest } = attrs;
    if (parts.msg.includes(stack)) return { msg: parts.msg, attrs: rest };
    return { msg: parts.msg === "" ? stack : `${parts.msg}\n${stack.replace(/\n+$/, "")}`, attrs: rest };
  }
  return parts;
}

/** Applies the bounds and clock rules to one record. `now` is the time the batch arrived. */
export function finishRecord(parts: RecordParts, now: number, defaultNode: string): LogRecordInput {
  let flags = 0;
  let ts = parts.ts ?? now;
  if (ts > now + LIMITS.futureMs || ts < now - LIMITS.pastMs) {
    ts = now;
    flags |= FLAG_CLAMPED;
  }
  const folded = withStack(parts);
  const msg = truncate(folded.msg, LIMITS.messageBytes);
  const attrs = boundAttributes(folded.attrs);
  if (msg.cut || attrs.cut) flags |= FLAG_TRUNCATED;
  const level = parts.level ?? "info";
  const node = truncate(parts.node?.trim() || defaultNode, LIMITS.nodeChars).text;
  return {
    ts,
    node,
    level,
    severity: parts.severity && parts.severity > 0 ? parts.severity : severityOf(level),
    msg: msg.text,
    attrs: attrs.attrs,
    traceId: parts.traceId ?? null,
    spanId: parts.spanId ?? null,
    flags,
  };
}

/** What a JSON line's keys fill; `attrs` gets every other key. */
interface LineFields {
  ts: unknown;
  level: unknown;
  msg: unknown;
  node: unknown;
  traceId: unknown;
  spanId: unknown;
  attrs: Record<string, unknown>;
}

const isSet = (value: unknown): boolean => value !== null && value !== "";

/**
 * One pass over the keys (no `delete`, which turns objects into slow dictionaries): for each field the first key of
 * its list with a non-empty value wins. A switch, not a map from key to field name, and named fields, not a keyed
 * object: the parsed line's keys are internalised strings that the cases compare by identity (~3× faster than before).
 */
function split(object: Record<string, unknown>): LineFields {
  const out: LineFields = {
    ts: undefined,
    level: undefined,
    msg: undefined,
    node: undefined,
    traceId: undefined,
    spanId: undefined,
    attrs: {},
  };
  for (const key in object) {
    const value = object[key];
    switch (key) {
      case "ts":
      case "time":
      case "timestamp":
      case "@timestamp":
      case "created":
      case "asctime":
        if (out.ts === undefined && isSet(value)) out.ts = value;
        break;
      case "level":
      case "levelname":
      case "severity":
      case "lvl":
      case "log.level":
        if (out.level === undefined && isSet(value)) out.level = value;
        break;
      case "msg":
      case "message":
      case "log":
      case "text":
        if (out.msg === undefined && isSet(value)) out.msg = value;
        break;
      case "node":
      case "host":
      case "hostname":
      case "host.name":
      case "pod":
      case "executor":
        if (out.node === undefined && isSet(value)) out.node = value;
        break;
      case "trace_id":
      case "traceId":
        if (out.traceId === undefined && isSet(value)) out.traceId = value;
        break;
      case "span_id":
      case "spanId":
        if (out.spanId === undefined && isSet(value)) out.spanId = value;
        break;
      case "__proto__":
        defineProto(out.attrs, value);
        break;
      default:
        // Here, not in a helper shared with other callers: this store sees only these objects, and stays fast.
        out.attrs[key] = value;
    }
  }
  return out;
}

/** A plain text line: a leading level word (`ERROR …`, `[WARN] …`, `2024-… INFO …`) is recognised, else info. */
function textRecord(line: string): RecordParts {
  const match = /^(?:\S+\s+\S*\d\S*\s+)?\[?(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\]?[\s:]/i.exec(line);
  return { ts: undefined, node: undefined, level: match ? parseLevel(match[1]) : undefined, msg: line, attrs: {} };
}

export type NdjsonLine = { ok: true; record: RecordParts } | { ok: false; line: number; reason: string };

/** One NDJSON line: a JSON object, or plain text. A line that starts like JSON but is not is rejected. */
export function parseNdjsonLine(text: string, lineNumber: number): NdjsonLine | undefined {
  const line = text.endsWith("\r") ? text.slice(0, -1) : text;
  // "{" first (the usual line) needs no trimming to know it is JSON.
  if (line.charCodeAt(0) !== 123) {
    if (line.trim() === "") return undefined;
    const first = line.trimStart()[0];
    if (first !== "{" && first !== "[") return { ok: true, record: textRecord(line) };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, line: lineNumber, reason: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, line: lineNumber, reason: "a JSON line must be an object" };
  }
  const fields = split(value as Record<string, unknown>);
  const ts = parseTimestamp(fields.ts);
  if (fields.ts !== undefined && ts === undefined) {
    return { ok: false, line: lineNumber, reason: `timestamp ${JSON.stringify(fields.ts)} is not ISO-8601 or epoch time` };
  }
  const msg = fields.msg;
  return {
    ok: true,
    record: {
      ts,
      level: parseLevel(fields.level),
      msg: typeof msg === "string" ? msg : msg === undefined ? "" : JSON.stringify(msg),
      node: fields.node === undefined ? undefined : String(fields.node),
      attrs: fields.attrs,
      traceId: typeof fields.traceId === "string" ? fields.traceId : null,
      spanId: typeof fields.spanId === "string" ? fields.spanId : null,
    },
  };
}
