import { EventEmitter } from "node:events";
import type { Kysely, Selectable } from "kysely";
import type { Logger } from "pino";
import type { DialectName } from "../../db/connect.ts";
import type { RunLogsTable } from "../../db/schema.runs.ts";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError, invalid } from "../../shared/errors.ts";
import { fingerprintOf, normaliseMessage } from "./fingerprint.ts";
import { createFtsIndexer } from "./logs.fts.ts";
import {
  FLAG_CLAMPED,
  FLAG_TRUNCATED,
  finishRecord,
  type LogRecordInput,
  parseLevel,
  parseNdjsonLine,
  type RecordParts,
  severityOf,
} from "./logs.normalize.ts";
import * as logs from "./logs.store.ts";
import type { IngestResult, LogRecord, RunRecord } from "./runs.types.ts";

export const MAX_BATCH_RECORDS = 10_000;
const MAX_REPORTED_ERRORS = 20;

export interface LogsDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  clock: Clock;
  /** Where a failure of the background full-text indexer (logs.fts.ts) is reported. */
  logger?: Pick<Logger, "error">;
}

export interface LogsQueryInput {
  node?: string;
  level?: string;
  q?: string;
  from?: string;
  to?: string;
  cursor?: string;
  order?: "asc" | "desc";
  limit?: number;
}

/** The lines after the first: where a record's stack is (finishRecord moves stack attributes there). */
function stackOf(record: LogRecordInput): string | null {
  const newline = record.msg.indexOf("\n");
  return newline > 0 ? record.msg.slice(newline + 1) : null;
}

function deltas(records: LogRecordInput[], seenAt: number) {
  const nodes = new Map<string, logs.NodeDelta>();
  const errors = new Map<string, logs.ErrorDelta>();
  for (const r of records) {
    let n = nodes.get(r.node);
    if (!n) {
      n = {
        node: r.node,
        firstTs: r.ts,
        lastTs: r.ts,
        seenAt,
        records: 0,
        debug: 0,
        info: 0,
        warn: 0,
        error: 0,
        fatal: 0,
        bytes: 0,
      };
      nodes.set(r.node, n);
    }
    n.records++;
    n.firstTs = Math.min(n.firstTs, r.ts);
    n.lastTs = Math.max(n.lastTs, r.ts);
    n[r.level === "trace" ? "debug" : r.level]++;
    if (r.level !== "error" && r.level !== "fatal") continue;
    const template = normaliseMessage(r.msg);
    const fingerprint = fingerprintOf(template);
    const e = errors.get(fingerprint);
    if (e) {
      e.count++;
      e.firstTs = Math.min(e.firstTs, r.ts);
      e.lastTs = Math.max(e.lastTs, r.ts);
      e.nodes.add(r.node);
    } else {
      errors.set(fingerprint, {
        fingerprint,
        template,
        count: 1,
        firstTs: r.ts,
        lastTs: r.ts,
        exampleMsg: r.msg.split("\n", 1)[0] ?? "",
        exampleStack: stackOf(r),
        exampleNode: r.node,
        nodes: new Set([r.node]),
      });
    }
  }
  return { nodes: [...nodes.values()], errors: [...errors.values()] };
}

export function presentLog(row: Selectable<RunLogsTable>): LogRecord {
  return {
    id: Number(row.id),
    ts: new Date(Number(row.ts)).toISOString(),
    node: row.node,
    level: row.level,
    msg: row.msg,
    attributes: row.attrs_json ? (JSON.parse(row.attrs_json) as Record<string, unknown>) : null,
    traceId: row.trace_id,
    spanId: row.span_id,
    clamped: (row.flags & FLAG_CLAMPED) !== 0,
    truncated: (row.flags & FLAG_TRUNCATED) !== 0,
  };
}

function encodeLogCursor(row: { ts: number; id: number }): string {
  return Buffer.from(`${row.ts}:${row.id}`).toString("base64url");
}

function decodeLogCursor(text: string): { ts: number; id: number } {
  const match = /^(-?\d+):(\d+)$/.exec(Buffer.from(text, "base64url").toString("utf8"));
  if (!match) throw invalid("cursor is not one this server handed out; start again without it", { field: "cursor" });
  return { ts: Number(match[1]), id: Number(match[2]) };
}

/** The `node` (one or several, comma-separated) and `level` (this level and above) filters of a log query. */
function nodeAndLevel(input: { node?: string; level?: string }): { nodes?: string[]; minSeverity?: number } {
  const level = input.level ? parseLevel(input.level) : undefined;
  if (input.level && !level) throw invalid(`level "${input.level}" is not one of trace, debug, info, warn, error, fatal`);
  return {
    ...(input.node ? { nodes: input.node.split(",").filter(Boolean) } : {}),
    ...(level ? { minSeverity: severityOf(level) } : {}),
  };
}

function timeParam(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(`${field} must be an ISO-8601 time or epoch milliseconds`, { field });
  return ms;
}

/** Log ingest (NDJSON and already-parsed OTLP records), merged queries, and a wake-up signal for live tails. */
export function createLogsService(deps: LogsDeps) {
  const { db, dialect, clock } = deps;
  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  const listeners: ((run: RunRecord) => void)[] = [];
  const fts = createFtsIndexer({ db, dialect, ...(deps.logger ? { logger: deps.logger } : {}) });

  function assertOpen(run: RunRecord): void {
    if (run.status !== "running" && Date.now() - Date.parse(run.endedAt ?? "") > 3_600_000) {
      throw new DomainError("invalid_state", `Run ${run.id} ended more than an hour ago; it takes no more records`);
    }
  }

  /** Stores parsed records of one run in one transaction, with the per-node and per-error aggregates. */
  async function store(
    run: RunRecord,
    parts: RecordParts[],
    defaultNode: string,
  ): Promise<Omit<IngestResult, "rejected" | "errors">> {
    assertOpen(run);
    if (parts.length > MAX_BATCH_RECORDS) {
      throw new DomainError(
        "payload_too_large",
        `A batch holds at most ${MAX_BATCH_RECORDS} records; this one has ${parts.length}`,
      );
    }
    const now = clock.now().getTime();
    const records = parts.map((p) => finishRecord(p, now, defaultNode));
    const { nodes, errors } = deltas(records, now);
    if (records.length > 0) {
      const indexInline = await fts.indexesInline();
      await db.transaction().execute(async (tx) => {
        const bytes = await logs.insertLogs(tx, { dialect, runId: run.id, records, indexInline });
        for (const node of nodes) node.bytes = bytes.get(node.node) ?? 0;
        await logs.upsertNodes(tx, dialect, run.id, nodes);
        await logs.upsertErrors(tx, dialect, run.id, errors);
      });
      fts.schedule();
      appended.emit(run.id);
      for (const listener of listeners) listener(run);
    }
    let clamped = 0;
    let truncated = 0;
    for (const r of records) {
      if (r.flags & FLAG_CLAMPED) clamped++;
      if (r.flags & FLAG_TRUNCATED) truncated++;
    }
    return { accepted: records.length, clamped, truncated };
  }

  async function ingestNdjson(run: RunRecord, text: string, defaultNode = "default"): Promise<IngestResult> {
    const parts: RecordParts[] = [];
    const errors: IngestResult["errors"] = [];
    let rejected = 0;
    let lineNumber = 0;
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf("\n", start);
      if (end === -1) end = text.length;
      lineNumber++;
      const parsed = parseNdjsonLine(text.slice(start, end), lineNumber);
      start = end + 1;
      if (!parsed) continue;
      if (parsed.ok) parts.push(parsed.record);
      else {
        rejected++;
        if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line: parsed.line, reason: parsed.reason });
      }
    }
    const stored = await store(run, parts, defaultNode);
    return { ...stored, rejected, errors };
  }

  async function query(run: RunRecord, input: LogsQueryInput) {
    const limit = Math.min(Math.max(input.limit ?? 500, 1), 5000);
    const order = input.order ?? "asc";
    // Records not in the full-text index yet are added first, so a search sees every stored record.
    if (input.q) await fts.catchUp();
    const rows = await logs.queryLogs(db, dialect, {
      runId: run.id,
      ...nodeAndLevel(input),
      ...(input.q ? { q: input.q } : {}),
      ...optional("from", timeParam(input.from, "from")),
      ...optional("to", timeParam(input.to, "to")),
      ...(input.cursor ? { after: decodeLogCursor(input.cursor) } : {}),
      order,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(presentLog),
      nextCursor: rows.length > limit && last ? encodeLogCursor({ ts: Number(last.ts), id: Number(last.id) }) : null,
    };
  }

  /**
   * For the live tail, which follows arrival order: how far the log is visible now, and the run's records that arrived
   * in (afterId, horizon.upto], oldest arrival first (`limit` 0: the horizon only). See logs.store.ts arrivalHorizon.
   */
  async function arrivals(run: RunRecord, input: { node?: string; level?: string; afterId: number; limit: number }) {
    const filter = nodeAndLevel(input);
    const horizon = await logs.arrivalHorizon(db, dialect);
    if (input.limit <= 0 || horizon.upto <= input.afterId) return { horizon, items: [] };
    const rows = await logs.logsByArrival(db, {
      runId: run.id,
      ...filter,
      afterId: input.afterId,
      uptoId: horizon.upto,
      limit: input.limit,
    });
    return { horizon, items: rows.map(presentLog) };
  }

  /** Resolves when records arrive for the run in this process, or after `ms` (other replicas are seen by polling). */
  function waitForRecords(runId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        appended.off(runId, done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      appended.on(runId, done);
      signal.addEventListener("abort", done);
    });
  }

  return {
    ingestNdjson,
    ingestParsed: store,
    query,
    arrivals,
    waitForRecords,
    nodes: (runId: string) => logs.listNodes(db, runId),
    topErrors: (runId: string, limit = 10) => logs.topErrors(db, runId, limit),
    count: (runId: string) => logs.countLogs(db, runId),
    /** Stops the background indexer's timer (what it has not indexed yet, the next search or ingest indexes). */
    stop: fts.stop,
    /** Called after records are stored (alerts on error rates evaluate). */
    onIngest(listener: (run: RunRecord) => void): void {
      listeners.push(listener);
    },
  };
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

export type LogsService = ReturnType<typeof createLogsService>;
