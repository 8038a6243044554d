import type { Kysely } from "kysely";
import { type DialectName, isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { PageOf } from "../../shared/api.ts";
import { AuditChainVerifier, auditHash, GENESIS_HASH, type UnhashedAuditEvent } from "../../shared/audit-verify.ts";
import { canonicalJson } from "../../shared/canonical-json.ts";
import type { Clock } from "../../shared/clock.ts";
import { invalid } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import * as store from "./audit.store.ts";
import type { AuditAppend, AuditEvent, AuditFilter, AuditRecord, AuditVerifyResult } from "./audit.types.ts";

export interface AuditDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** PostgreSQL appends take an advisory lock; SQLite's BEGIN IMMEDIATE already makes writers take turns. */
  dialect: DialectName;
  /** Rows per query when verify and export walk the chain. */
  pageSize?: number;
}

export interface AuditListQuery extends AuditFilter {
  limit: number;
  /** Only events with a smaller seq (the previous page's `nextCursor`, parsed by `parseAuditCursor`). */
  before?: number | undefined;
}

export interface AuditService {
  /**
   * Appends one event to the chain inside `tx`, the transaction of the state change it records, so both commit or
   * neither does. Call it as the transaction's last write: on PostgreSQL it holds the chain lock until commit.
   * Given the database instead of a transaction, it opens one of its own.
   */
  append(tx: Queryable, event: AuditAppend): Promise<AuditEvent>;
  /** Newest first; `nextCursor` is null on the last page. */
  list(query: AuditListQuery): Promise<PageOf<AuditEvent>>;
  /** Walks the whole chain from seq 1, a page at a time, recomputing every hash. */
  verify(): Promise<AuditVerifyResult>;
  /**
   * The events as NDJSON, oldest first, each string one line including its `\n`; read a page at a time and cut off at
   * the newest event when the export began. Unfiltered, the output verifies offline with `verifyLines`.
   */
  exportNdjson(filter?: AuditFilter): AsyncIterable<string>;
}

const SUBJECT_TYPE = /^[a-z][a-z0-9_-]{0,63}$/;
const ACTION = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

export function createAuditService(deps: AuditDeps): AuditService {
  const { db, clock, dialect } = deps;
  const pageSize = deps.pageSize ?? 500;

  async function append(tx: Queryable, input: AuditAppend): Promise<AuditEvent> {
    if (!tx.isTransaction) return (tx as Kysely<Database>).transaction().execute((inner) => append(inner, input));
    checkAppend(input);
    // Canonicalized before the lock is taken: the lock is held for as short a time as possible.
    const dataJson = canonicalJson(input.data ?? {});
    const data: unknown = JSON.parse(dataJson);
    if (!isRecord(data)) throw new TypeError(`audit data of ${input.action} must be a JSON object`);
    if (dialect === "postgres") await store.lockChain(tx);
    // Read under the lock (PostgreSQL, READ COMMITTED: a fresh snapshot per statement) or the write lock (SQLite).
    const last = await store.lastLink(tx);
    const at = clock.now();
    const unhashed: UnhashedAuditEvent = {
      seq: (last?.seq ?? 0) + 1,
      id: newId("aud", at.getTime()),
      at: at.toISOString(),
      actor: input.actor,
      action: input.action,
      projectId: input.projectId ?? null,
      subject: { type: input.subject.type, id: input.subject.id },
      data,
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const event: AuditEvent = { ...unhashed, hash: auditHash(unhashed) };
    try {
      await store.insertEvent(tx, toRecord(event, dataJson));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw new Error(
        `audit seq ${event.seq} was taken by a concurrent append: the caller's transaction saw an old snapshot ` +
          "(append needs READ COMMITTED on PostgreSQL, or the lock was bypassed)",
        { cause: error },
      );
    }
    return event;
  }

  async function list(query: AuditListQuery): Promise<PageOf<AuditEvent>> {
    const { limit, before, ...filter } = query;
    const records = await store.listNewest(db, { filter, before, limit: limit + 1 });
    const items = records.slice(0, limit).map(toEvent);
    const last = items.at(-1);
    return { items, nextCursor: records.length > limit && last ? String(last.seq) : null };
  }

  async function verify(): Promise<AuditVerifyResult> {
    const verifier = new AuditChainVerifier();
    let after = 0;
    for (;;) {
      const page = await store.listOldest(db, { filter: {}, after, upTo: undefined, limit: pageSize });
      for (const record of page) if (!verifier.push(toCandidate(record))) return verifier.result();
      const last = page.at(-1);
      if (!last || page.length < pageSize) return verifier.result();
      after = last.seq;
    }
  }

  async function* exportNdjson(filter: AuditFilter = {}): AsyncGenerator<string> {
    const upTo = (await store.lastLink(db))?.seq;
    if (upTo === undefined) return;
    let after = 0;
    for (;;) {
      const page = await store.listOldest(db, { filter, after, upTo, limit: pageSize });
      for (const record of page) yield `${JSON.stringify(toCandidate(record))}\n`;
      const last = page.at(-1);
      if (!last || page.length < pageSize) return;
      after = last.seq;
    }
  }

  return { append, list, verify, exportNdjson };
}

/** The cursor of `list` is the seq of the last item shown. */
export function parseAuditCursor(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  if (!/^[1-9]\d{0,14}$/.test(text)) {
    throw invalid("cursor is not one this server handed out; start again without it", { field: "cursor" });
  }
  return Number(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Text that both databases store unchanged: PostgreSQL refuses NUL, and a lone surrogate would come back as U+FFFD. */
function isStorableText(text: string, maxLength: number): boolean {
  if (text.length === 0 || text.length > maxLength) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (code >= 0xdc00 && code <= 0xdfff) return false;
  }
  return true;
}

/** A bad event is a bug in the calling feature, not the user's input: it fails that feature's transaction loudly. */
function checkAppend(input: AuditAppend): void {
  const problems: string[] = [];
  if (!isStorableText(input.actor, 200)) problems.push("actor must be 1-200 printable characters");
  if (input.action.length > 100 || !ACTION.test(input.action)) problems.push("action must look like `deployment.promoted`");
  if (!SUBJECT_TYPE.test(input.subject.type)) problems.push("subject.type must be a lowercase word");
  if (!isStorableText(input.subject.id, 200)) problems.push("subject.id must be 1-200 printable characters");
  if (input.projectId !== undefined && input.projectId !== null && !isStorableText(input.projectId, 200)) {
    problems.push("projectId must be 1-200 printable characters");
  }
  if (problems.length > 0) throw new TypeError(`invalid audit event ${JSON.stringify(input.action)}: ${problems.join("; ")}`);
}

function toRecord(event: AuditEvent, dataJson: string): AuditRecord {
  return {
    seq: event.seq,
    id: event.id,
    at: event.at,
    actor: event.actor,
    action: event.action,
    projectId: event.projectId,
    subjectType: event.subject.type,
    subjectId: event.subject.id,
    dataJson,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

/** The event as stored, for verify and export: unreadable data is passed on as its raw text, for the verifier to flag. */
function toCandidate(record: AuditRecord): Omit<AuditEvent, "data"> & { data: unknown } {
  let data: unknown = record.dataJson;
  try {
    data = JSON.parse(record.dataJson);
  } catch {
    // kept as text: the verifier reports this seq as malformed
  }
  return {
    seq: record.seq,
    id: record.id,
    at: record.at,
    actor: record.actor,
    action: record.action,
    projectId: record.projectId,
    subject: { type: record.subjectType, id: record.subjectId },
    data,
    prevHash: record.prevHash,
    hash: record.hash,
  };
}

function toEvent(record: AuditRecord): AuditEvent {
  const candidate = toCandidate(record);
  const { data } = candidate;
  if (!isRecord(data)) {
    throw new Error(`audit event seq ${record.seq} has unreadable data; run \`stagegate audit verify\` to check the chain`);
  }
  return { ...candidate, data };
}
