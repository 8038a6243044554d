import { hash } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { peekHead } from "../../shared/peek.ts";
import { detectFormat, parseReport } from "./parsers/index.ts";
import { type ParsedTestCase, type ReportFormat, ReportParseError } from "./parsers/parser.types.ts";
import * as store from "./reports.store.ts";
import type { CaseRow, ReportRunRecord, StoredFileSummary } from "./reports.types.ts";
import * as cases from "./test-cases.store.ts";
import { gunzipLimited, limitBytes, type UploadLimits } from "./upload.stream.ts";

/**
 * Cases written per transaction: whole CASE_BATCH statements (one SQL shape), committed together (one WAL sync instead of
 * one per statement). The rows are in memory until then (~1 MB), never a write transaction held open across the upload.
 * 1,200 rows (three statements) keep a transaction and its commit near 50 ms on a quiet box: 4,000 held the connection
 * 0.2–0.4 s at a time, and every other request with it.
 */
const FLUSH_ROWS = 1200;

const FORMATS: ReportFormat[] = ["junit", "lcov", "cobertura", "jacoco", "istanbul", "istanbul-summary", "go-coverprofile"];

export function isReportFormat(value: string): value is ReportFormat {
  return (FORMATS as string[]).includes(value);
}

/** Identity of a test across runs: class + name when the tool gives a class, else file or suite + name. */
export function testKey(c: Pick<ParsedTestCase, "suite" | "classname" | "name" | "file">): string {
  const scope = c.classname || c.file || c.suite.join(" › ");
  // crypto.hash: the same SHA-256 as createHash, without a Hash object per case (~1 µs of 3 per case at 200k cases).
  return hash("sha256", `${scope}\u0000${c.name}`, "hex").slice(0, 24);
}

function toCaseRow(c: ParsedTestCase, seq: number): CaseRow {
  return {
    seq,
    testKey: testKey(c),
    suite: c.suite.join(" › "),
    classname: c.classname,
    name: c.name,
    file: c.file,
    durationMs: c.durationMs,
    status: c.status,
    message: c.message,
    stack: c.stack,
    systemOut: c.systemOut,
    systemErr: c.systemErr,
    reruns: c.reruns,
  };
}

function describeHead(head: Buffer): string {
  const text = head.subarray(0, 120).toString("utf8").replace(/\s+/g, " ").trim();
  return text ? `it starts with "${text.slice(0, 80)}"` : "it is empty";
}

/**
 * Streams one uploaded file into a run: detects the format from the content, parses it while it arrives and stores
 * the records in batches under a file row that stays invisible until everything is stored. A failure deletes the
 * partial rows; a success replaces an earlier file of the same name in one transaction.
 */
export async function ingestFile(
  deps: { db: Kysely<Database>; clock: Clock; limits: UploadLimits },
  input: {
    run: ReportRunRecord;
    name: string;
    format: "auto" | ReportFormat;
    gzip: boolean;
    body: AsyncIterable<Buffer | Uint8Array | string>;
  },
): Promise<{ format: ReportFormat; bytes: number; summary: StoredFileSummary }> {
  const { db, clock, limits } = deps;
  let bytes = 0;
  const counted = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  const wire = limitBytes(input.body, limits.maxBytes, "upload");
  const decoded = input.gzip ? gunzipLimited(wire, limits) : limitBytes(wire, limits.maxDecompressedBytes, "upload");
  const { head, all } = await peekHead(counted(decoded), 8192);
  const format = input.format === "auto" ? detectFormat(head) : input.format;
  if (!format) {
    throw new DomainError(
      "unknown_report_format",
      `Could not tell the format of ${input.name} from its content: ${describeHead(head)}`,
      {
        details: { file: input.name, supported: FORMATS },
      },
    );
  }
  const fileId = newId("rfl", clock.now().getTime());
  await store.insertFile(db, { id: fileId, runId: input.run.id, name: input.name, format, at: clock.now().toISOString() });
  try {
    const summary = await storeRecords(db, { fileId, runId: input.run.id, format, chunks: all });
    await db
      .transaction()
      .execute((tx) => store.publishFile(tx, { id: fileId, runId: input.run.id, name: input.name, bytes, summary }));
    return { format, bytes, summary };
  } catch (error) {
    await store.deleteFile(db, fileId);
    if (error instanceof ReportParseError) {
      const where = error.line ? ` at line ${error.line}${error.column ? `, column ${error.column}` : ""}` : "";
      throw new DomainError("invalid_report", `${input.name} is not a valid ${error.format} report${where}: ${error.message}`, {
        details: { file: input.name, format: error.format, line: error.line, column: error.column },
      });
    }
    throw error;
  }
}

async function storeRecords(
  db: Kysely<Database>,
  input: { fileId: string; runId: string; format: ReportFormat; chunks: AsyncIterable<Buffer> },
): Promise<StoredFileSummary> {
  const parsed = parseReport(input.format, input.chunks);
  if (parsed.kind === "tests") {
    let seq = 0;
    let pending: CaseRow[] = [];
    const flush = async (rows: CaseRow[]) => {
      if (rows.length === 0) return;
      await db.transaction().execute((tx) => cases.insertCaseBatch(tx, input.fileId, input.runId, rows));
      // Each flush holds the event loop (SQLite is synchronous); let waiting requests run between them.
      await new Promise<void>((resolve) => setImmediate(resolve));
    };
    for (;;) {
      const next = await parsed.batches.next();
      if (next.done) {
        await flush(pending);
        return { cases: seq, coverageFiles: 0, warnings: next.value.warnings.slice(0, 20) };
      }
      for (const c of next.value) pending.push(toCaseRow(c, seq++));
      if (pending.length >= FLUSH_ROWS) {
        const full = pending.length - (pending.length % cases.CASE_BATCH);
        const rows = pending.slice(0, full);
        pending = pending.slice(full);
        await flush(rows);
      }
    }
  }
  // The same path may come more than once (Go profiles, several SF records): merged when the run completes.
  const paths = new Set<string>();
  let seq = 0;
  for await (const batch of parsed.batches) {
    const rows = batch;
    for (const row of rows) paths.add(row.path);
    await store.insertCoverage(db, input.fileId, input.runId, rows, seq);
    seq += rows.length;
  }
  return { coverageFiles: paths.size, cases: 0, warnings: [] };
}
