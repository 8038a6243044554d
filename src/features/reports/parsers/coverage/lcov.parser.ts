import { type Chunks, type FileCoverage, ReportParseError } from "../parser.types.ts";
import { COVERAGE_DEFAULTS, type CoverageParseOptions } from "./coverage.types.ts";
import { newFileCoverage, parseCount, parseLineNumber, recordLine } from "./file-coverage.ts";
import { readLines } from "./text.ts";

/**
 * LCOV tracefiles (geninfo(1) "TRACEFILE FORMAT"; https://github.com/linux-test-project/lcov/blob/master/man/geninfo.1).
 * One record per `SF:` … `end_of_record`; each record is yielded when it ends, so the same path can come more than once
 * (one record per test name). Within a record a line listed twice keeps the larger count (.NET writes one `DA` per
 * sequence point, e.g. a getter and a setter on one line). `LF`/`LH`/`BRF`/`BRH` are the tool's own totals and are
 * not needed: they follow from the `DA`/`BRDA` lines.
 */

interface OpenRecord {
  file: FileCoverage;
  /** line → `block,branch` → times taken. */
  branches: Map<number, Map<string, number>>;
  functions: Map<string, number>;
  declaredFunctions: { found: number | null; hit: number | null };
}

export async function* parseLcov(source: Chunks, options: CoverageParseOptions = {}): AsyncGenerator<FileCoverage[]> {
  const maxLineLength = options.maxLineLength ?? COVERAGE_DEFAULTS.maxLineLength;
  let record: OpenRecord | null = null;
  let lineNumber = 0;
  for await (const lines of readLines(source, { format: "lcov", maxLineLength })) {
    const done: FileCoverage[] = [];
    for (const text of lines) {
      lineNumber++;
      // Nearly every line of a big tracefile is DA or BRDA: read those by index, without trim/split/regex or arrays.
      if (record !== null && (fastDa(record, text) || fastBrda(record, text))) continue;
      const line = text.trim();
      if (line === "" || line.startsWith("#")) continue;
      if (line === "end_of_record") {
        if (record === null) throw fail(lineNumber, "end_of_record without a record: no SF: line came before it");
        done.push(finish(record));
        record = null;
        continue;
      }
      record = readLine(record, line, lineNumber);
    }
    if (done.length > 0) yield done;
  }
  if (record !== null) {
    throw fail(
      lineNumber,
      `the file ends inside the record of ${record.file.path}: end_of_record is missing (was the upload cut short?)`,
    );
  }
}

function readLine(record: OpenRecord | null, line: string, lineNumber: number): OpenRecord | null {
  const colon = line.indexOf(":");
  const key = colon > 0 ? line.slice(0, colon) : "";
  if (!/^[A-Z]+$/.test(key)) throw fail(lineNumber, `"${preview(line)}" is not an LCOV line (KEY:value or end_of_record)`);
  const value = line.slice(colon + 1);
  if (key === "TN" || (key === "VER" && record === null)) return record;
  if (key === "SF") {
    if (record !== null)
      throw fail(lineNumber, `SF:${value} starts a record before the record of ${record.file.path} has its end_of_record`);
    if (value === "") throw fail(lineNumber, "SF: without a source file path");
    return {
      file: newFileCoverage(value),
      branches: new Map(),
      functions: new Map(),
      declaredFunctions: { found: null, hit: null },
    };
  }
  if (record === null) throw fail(lineNumber, `${key}: outside a record: an SF: line must come first`);
  switch (key) {
    case "DA":
      readDa(record, value, lineNumber);
      break;
    case "BRDA":
      readBrda(record, value, lineNumber);
      break;
    case "FN": {
      const name = afterFirstComma(value);
      if (name === null) throw fail(lineNumber, `FN:${value} should be FN:<line>,<function name>`);
      if (!record.functions.has(name)) record.functions.set(name, 0);
      break;
    }
    case "FNDA": {
      const hits = parseCount(value.slice(0, value.indexOf(",")));
      const name = afterFirstComma(value);
      if (hits === null || name === null) throw fail(lineNumber, `FNDA:${value} should be FNDA:<hits>,<function name>`);
      record.functions.set(name, Math.max(record.functions.get(name) ?? 0, hits));
      break;
    }
    case "FNF":
    case "FNH": {
      const count = parseCount(value);
      if (count === null) throw fail(lineNumber, `${key}:${value} should be a count`);
      if (key === "FNF") record.declaredFunctions.found = count;
      else record.declaredFunctions.hit = count;
      break;
    }
    default:
      // LF/LH/BRF/BRH restate what DA/BRDA say; FNL/FNA/MCDC and other keys of newer lcov versions are skipped.
      break;
  }
  return record;
}

const ZERO = 48;
const NINE = 57;

/** The value of the digits in text[start, end), or -1 when that is empty, holds a non-digit, or may pass 2^53. */
function digitsAt(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

/** `DA:<line>,<hits>[,<checksum>]` in its plain form; false leaves anything unusual to the checking path below. */
function fastDa(record: OpenRecord, text: string): boolean {
  if (text.charCodeAt(0) !== 68 || text.charCodeAt(1) !== 65 || text.charCodeAt(2) !== 58) return false; // "DA:"
  const comma = text.indexOf(",", 3);
  if (comma < 0) return false;
  let end = text.indexOf(",", comma + 1);
  if (end < 0) end = text.length;
  else if (text.indexOf(",", end + 1) >= 0) return false;
  const line = digitsAt(text, 3, comma);
  const hits = digitsAt(text, comma + 1, end);
  if (line < 1 || hits < 0) return false;
  recordLine(record.file, line, hits);
  return true;
}

/** `BRDA:<line>,<block>,<branch>,<taken or ->` in its plain form; false leaves the rest to `readBrda`. */
function fastBrda(record: OpenRecord, text: string): boolean {
  if (!text.startsWith("BRDA:")) return false;
  const first = text.indexOf(",", 5);
  const second = first < 0 ? -1 : text.indexOf(",", first + 1);
  const last = text.lastIndexOf(",");
  if (second < 0 || second >= last) return false;
  const line = digitsAt(text, 5, first);
  const taken = last === text.length - 2 && text.charCodeAt(last + 1) === 45 ? 0 : digitsAt(text, last + 1, text.length);
  if (line < 1 || taken < 0) return false;
  const key = text.slice(first + 1, last);
  let onLine = record.branches.get(line);
  if (onLine === undefined) {
    onLine = new Map<string, number>();
    record.branches.set(line, onLine);
  }
  const before = onLine.get(key);
  if (before === undefined || taken > before) onLine.set(key, taken);
  return true;
}

function readDa(record: OpenRecord, value: string, lineNumber: number): void {
  const [line, hits, ...rest] = value.split(",");
  const number = parseLineNumber(line);
  const count = parseCount(hits);
  if (number === null || count === null || rest.length > 1) {
    throw fail(lineNumber, `DA:${value} should be DA:<line>,<hits>[,<checksum>] with a line ≥ 1 and a count ≥ 0`);
  }
  recordLine(record.file, number, count);
}

/** `BRDA:<line>,<block>,<branch>,<taken>`; lcov 2 allows commas inside the branch expression, so take the ends. */
function readBrda(record: OpenRecord, value: string, lineNumber: number): void {
  const fields = value.split(",");
  const number = parseLineNumber(fields[0]);
  const takenText = fields.at(-1);
  const taken = takenText === "-" ? 0 : parseCount(takenText);
  if (fields.length < 4 || number === null || taken === null) {
    throw fail(lineNumber, `BRDA:${value} should be BRDA:<line>,<block>,<branch>,<taken or ->`);
  }
  const key = fields.slice(1, -1).join(",");
  const onLine = record.branches.get(number) ?? new Map<string, number>();
  onLine.set(key, Math.max(onLine.get(key) ?? 0, taken));
  record.branches.set(number, onLine);
}

function finish(record: OpenRecord): FileCoverage {
  const { file } = record;
  for (const [line, paths] of record.branches) {
    let covered = 0;
    for (const taken of paths.values()) if (taken > 0) covered++;
    file.branches.set(line, { covered, total: paths.size });
  }
  if (record.functions.size > 0) {
    let covered = 0;
    for (const hits of record.functions.values()) if (hits > 0) covered++;
    file.functions = { covered, total: record.functions.size };
  } else if (record.declaredFunctions.found !== null) {
    file.functions = { covered: record.declaredFunctions.hit ?? 0, total: record.declaredFunctions.found };
  }
  return file;
}

function afterFirstComma(value: string): string | null {
  const comma = value.indexOf(",");
  return comma < 0 || comma === value.length - 1 ? null : value.slice(comma + 1);
}

function preview(line: string): string {
  return line.length > 60 ? `${line.slice(0, 60)}…` : line;
}

function fail(line: number, message: string): ReportParseError {
  return new ReportParseError({ format: "lcov", line, message: `LCOV line ${line}: ${message}` });
}
