import { setTimeout as delay } from "node:timers/promises";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { type Static, Type } from "typebox";
import { bearerOf, type IngestAuth } from "./ingest.auth.ts";
import { acceptBodies, authorizeFirst, INGEST_ERRORS, registerTextBodies } from "./ingest-body.routes.ts";
import { ingestLimit } from "./ingest-limit.routes.ts";
import type { LogsService } from "./logs.service.ts";
import type { RunsService } from "./runs.service.ts";
import { IngestResultSchema, type LogRecord, LogRecordSchema, type RunRecord } from "./runs.types.ts";

const errors = INGEST_ERRORS;
const RunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const LogsQuery = Type.Object({
  node: Type.Optional(Type.String({ maxLength: 2000, description: "a node, or several separated by commas" })),
  level: Type.Optional(Type.String({ maxLength: 20, description: "this level and above" })),
  q: Type.Optional(Type.String({ maxLength: 500, description: "full-text: every word must occur" })),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  order: Type.Optional(Type.Union([Type.Literal("asc"), Type.Literal("desc")])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});
const TAIL_POLL_MS = 1000;
/** Records the tail reads per query. */
const TAIL_PAGE = 1000;
/** PostgreSQL: see followArrivals. */
const GUARD_AFTER_MS = 100;
const MAX_UNSETTLED_MS = 30_000;
/** Longest wait, on PostgreSQL, for the records being committed when a tail opens (see `settled`). */
const OPEN_SETTLE_MS = 2_000;
const SETTLE_POLL_MS = 20;
/** The content types of NDJSON; text/plain for plain text lines (and tools that send nothing better). */
const NDJSON_TYPES = ["application/x-ndjson", "application/jsonl", "text/plain"] as const;
const NDJSON_HINTS = {
  "application/json":
    "this route takes NDJSON (one JSON object per line), not one JSON document: send it as application/x-ndjson; ",
};

export function logsRoutes(deps: { runs: RunsService; logs: LogsService; auth: IngestAuth }): FastifyPluginAsyncTypebox {
  const { runs, logs, auth } = deps;
  return async (app) => {
    // gzip bodies are decompressed here, up to the route's body limit (see ingest-body.routes.ts).
    registerTextBodies(app, NDJSON_TYPES);

    app.post(
      "/runs/:id/logs",
      {
        // Workers send the run's own ingest token, which the API-token hook does not know: this route checks it.
        config: { public: true },
        onRequest: ingestLimit(auth),
        preParsing: [acceptBodies(NDJSON_TYPES, NDJSON_HINTS), authorizeFirst(auth)],
        schema: {
          tags: ["runs"],
          summary:
            "Send log records as NDJSON (application/x-ndjson, gzip allowed; one JSON object per line: ts, level, msg, node, …; plain text lines too)",
          params: RunParams,
          querystring: Type.Object({ node: Type.Optional(Type.String({ maxLength: 200 })) }),
          body: Type.String(),
          response: { 200: IngestResultSchema, ...errors },
        },
      },
      async (request) => {
        const run = await auth.authorize(bearerOf(request.headers.authorization), request.params.id);
        return logs.ingestNdjson(run, request.body, request.query.node);
      },
    );

    app.get(
      "/runs/:id/logs",
      {
        schema: {
          tags: ["runs"],
          summary: "Log records of every node merged in time order (ties in arrival order); keyset cursor",
          params: RunParams,
          querystring: LogsQuery,
          response: {
            200: Type.Object({ items: Type.Array(LogRecordSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
            ...errors,
          },
        },
      },
      async (request) => logs.query(await runs.getRun(request.params.id), request.query),
    );

    app.get(
      "/runs/:id/logs/tail",
      {
        schema: {
          tags: ["runs"],
          summary:
            "Live tail over Server-Sent Events: the last `limit` (100) records in time order, then every record as it " +
            "arrives (also one stamped earlier than those sent); `end` when the run ended. Events carry `id:`, and a " +
            "reconnect with `Last-Event-ID` resumes after it",
          params: RunParams,
          querystring: Type.Intersect([LogsQuery, Type.Object({ follow: Type.Optional(Type.Boolean({ default: true })) })]),
        },
      },
      async (request, reply) => {
        const run = await runs.getRun(request.params.id);
        const { follow, ...query } = request.query;
        const filter = tailFilter(query);
        const read = (afterId: number, limit: number) => logs.arrivals(run, { ...filters(query), afterId, limit });
        const resumeAfter = lastEventId(request.headers["last-event-id"]);
        // Where following starts: everything visible now is the backlog's (or was sent before a reconnect). Reading
        // the horizon also checks the filters before the stream is opened.
        const opened = await read(0, 0);
        // PostgreSQL: a record given an id up to the horizon may still be committing; the backlog must see it.
        if (resumeAfter === undefined) await settled(read, opened.horizon);
        const start = resumeAfter ?? opened.horizon.upto;
        const follower = followArrivals(read, start);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
        const closed = new AbortController();
        request.raw.on("close", () => closed.abort());
        // The event id is where a reconnect resumes: the point below which every record was read (not the highest id
        // sent, which on PostgreSQL may be above one still committing). A reconnect may repeat records (their `id`
        // tells), never skip one.
        const send = (records: LogRecord[], following: boolean) => {
          for (const record of records) {
            if (!following) follower.markSent(record.id);
            const id = following ? follower.resumePoint(record.id) : start;
            raw.write(`id: ${id}\nevent: record\ndata: ${JSON.stringify(record)}\n\n`);
          }
        };
        try {
          if (resumeAfter === undefined) {
            await sendBacklog(logs, run, query, (records) => send(records, false), closed.signal);
          }
          while (!closed.signal.aborted) {
            // The status first: records stored before the run ended are read below, before `end`.
            const current = await runs.getRun(run.id);
            await follower.poll((records) => send(records.filter(filter), true));
            if (!follow || current.status !== "running") {
              raw.write(`event: end\ndata: ${JSON.stringify({ status: current.status })}\n\n`);
              break;
            }
            raw.write(": keep-alive\n\n");
            await logs.waitForRecords(run.id, TAIL_POLL_MS, closed.signal);
          }
        } finally {
          raw.end();
        }
      },
    );
  };
}

type TailQuery = Omit<Static<typeof LogsQuery>, "order">;

function filters(query: TailQuery): { node?: string; level?: string } {
  return { ...(query.node ? { node: query.node } : {}), ...(query.level ? { level: query.level } : {}) };
}

/**
 * What the tail checks itself on records read in arrival order (node and level are filtered by the database): `q` as
 * words that must all occur (like the search, without its index, which SQLite fills after the commit), `from`/`to`.
 */
function tailFilter(query: TailQuery): (record: LogRecord) => boolean {
  const words = wordsOf(query.q ?? "");
  const from = epochMs(query.from);
  const to = epochMs(query.to);
  return (record) => {
    const ts = Date.parse(record.ts);
    if ((from !== undefined && ts < from) || (to !== undefined && ts >= to)) return false;
    if (words.length === 0) return true;
    const present = new Set(wordsOf(record.msg));
    return words.every((word) => present.has(word));
  };
}

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function epochMs(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * PostgreSQL: waits until every transaction running when `horizon` was read has ended, so each id up to
 * `horizon.upto` is committed (or never will be), as `settle` in followArrivals judges it; at most OPEN_SETTLE_MS, so
 * a session idle in a transaction elsewhere on the server delays opening a tail only that long. SQLite: at once.
 */
async function settled(read: ArrivalRead, horizon: ArrivalHorizon): Promise<void> {
  if (horizon.xmax === null) return;
  const until = Date.now() + OPEN_SETTLE_MS;
  await delay(GUARD_AFTER_MS);
  const guard = (await read(0, 0)).horizon.xmax;
  while (Date.now() < until) {
    const { xmin } = (await read(0, 0)).horizon;
    if (xmin === null || guard === null || xmin >= guard) return;
    await delay(SETTLE_POLL_MS);
  }
}

/** `Last-Event-ID` as the tail writes it (a record id below which all were read); anything else is ignored. */
function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

/**
 * Before following: with a `cursor` or `from`, the records after it in time order (as `GET /logs` pages them);
 * otherwise the last `limit` (100) records, oldest first, like `tail`.
 */
async function sendBacklog(
  logs: LogsService,
  run: RunRecord,
  query: TailQuery,
  send: (records: LogRecord[]) => void,
  closed: AbortSignal,
) {
  if (!query.cursor && !query.from) {
    const last = await logs.query(run, { ...query, order: "desc", limit: query.limit ?? 100 });
    send(last.items.reverse());
    return;
  }
  let cursor = query.cursor;
  // Page by page, stopping when the client goes (a whole run's log is not read for nobody).
  while (!closed.aborted) {
    const page = await logs.query(run, { ...query, ...(cursor ? { cursor } : {}), order: "asc", limit: TAIL_PAGE });
    send(page.items);
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

type ArrivalHorizon = Awaited<ReturnType<LogsService["arrivals"]>>["horizon"];
type ArrivalRead = (afterId: number, limit: number) => Promise<{ horizon: ArrivalHorizon; items: LogRecord[] }>;

/**
 * Follows a run's log in arrival order (`run_logs.id`), so a record stamped earlier than those already sent (an
 * exporter's batching delay, a node's clock) is sent too. Below `floor` every record was read; above it, `sent` holds
 * what was. SQLite commits ids in order (one writer, ids given inside its transaction): the floor moves to whatever
 * was read. PostgreSQL gives ids (bigserial) before commit, so a transaction still running may yet commit an id
 * below one already read: each read is kept until every transaction that had begun by then has ended, that is when
 * a later snapshot's xmin passes the xmax of one taken after the read (`guard`, taken at least GUARD_AFTER_MS later,
 * as a transaction takes its ids a moment before its transaction id). Until then the tail re-reads from the floor and
 * skips what it sent. A read older than MAX_UNSETTLED_MS moves the floor anyway: a transaction open that long (say
 * an idle session elsewhere on the server) would otherwise make every poll re-read more.
 */
function followArrivals(read: ArrivalRead, start: number) {
  let floor = start;
  /** SQLite: ids become visible in order (its horizon has no transaction ids). Known after the first read. */
  let inOrder = false;
  const sent = new Set<number>();
  const reads: { upto: number; at: number; guard?: bigint }[] = [];

  /** `horizon` was read at `now`, before this poll's reads. */
  function settle(horizon: ArrivalHorizon, now: number): void {
    const { xmin, xmax } = horizon;
    for (const pending of reads) {
      if (pending.guard === undefined && xmax !== null && now - pending.at >= GUARD_AFTER_MS) pending.guard = xmax;
    }
    while (reads.length > 0) {
      const oldest = reads[0] as (typeof reads)[number];
      const ended = xmin === null || (oldest.guard !== undefined && xmin >= oldest.guard);
      if (!ended && now - oldest.at < MAX_UNSETTLED_MS) break;
      floor = Math.max(floor, oldest.upto);
      reads.shift();
    }
    for (const id of sent) if (id <= floor) sent.delete(id);
  }

  return {
    /**
     * Where a reconnect after `sent` (just sent) resumes: below it every record was read. SQLite commits ids in order,
     * so that is the record itself; on PostgreSQL the floor, which may be below records already sent (they are sent
     * again after a reconnect, never skipped).
     */
    resumePoint: (sent: number): number => (inOrder ? Math.max(floor, sent) : floor),
    /** A record sent before following (the backlog), not to be sent again. */
    markSent(id: number): void {
      if (id > floor) sent.add(id);
    },
    /** Reads every record visible above the floor, passing each page's new ones to `emit` (arrival order). */
    async poll(emit: (records: LogRecord[]) => void): Promise<void> {
      let after = floor;
      let first: ArrivalHorizon | undefined;
      const startedAt = Date.now();
      for (;;) {
        const page = await read(after, TAIL_PAGE);
        first ??= page.horizon;
        inOrder = page.horizon.xmax === null;
        const fresh = page.items.filter((record) => !sent.has(record.id));
        for (const record of fresh) sent.add(record.id);
        if (fresh.length > 0) emit(fresh);
        const full = page.items.length === TAIL_PAGE;
        after = full ? (page.items[page.items.length - 1]?.id ?? page.horizon.upto) : Math.max(after, page.horizon.upto);
        reads.push({ upto: after, at: Date.now() });
        if (!full) break;
      }
      // Every transaction that had ended by the first read of this poll had its records read in this poll.
      if (first) settle(first, startedAt);
    },
  };
}
