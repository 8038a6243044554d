import { type Kysely, type SelectQueryBuilder, sql, type Transaction } from "kysely";
import type { AuditDatabase, AuditEventsTable } from "../../db/schema.audit.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { AuditFilter, AuditRecord } from "./audit.types.ts";

type WithAudit = Database & AuditDatabase;
type AuditQueryable = Kysely<WithAudit> | Transaction<WithAudit>;

/**
 * The one cast of this feature: its table is typed in `schema.audit.ts`, beside the shared `Database`, so the feature
 * lands without editing `schema.ts`. Migration 0004_audit creates the table on every database.
 */
function withAudit(db: Queryable): AuditQueryable {
  return db as unknown as AuditQueryable;
}

/** An arbitrary fixed key, named in docs/audit.md so operators can tell it apart in `pg_locks`; no other lock uses it. */
export const AUDIT_LOCK_KEY = 7_305_241_100_417;

/** PostgreSQL: serializes appenders until the transaction ends (commit or rollback releases it). */
export async function lockChain(tx: Queryable): Promise<void> {
  await sql`select pg_advisory_xact_lock(${sql.lit(AUDIT_LOCK_KEY)})`.execute(tx);
}

/** The newest link of the chain, or undefined when the log is empty. */
export async function lastLink(tx: Queryable): Promise<{ seq: number; hash: string } | undefined> {
  const row = await withAudit(tx)
    .selectFrom("audit_events")
    .select(["seq", "hash"])
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
}

export async function insertEvent(tx: Queryable, record: AuditRecord): Promise<void> {
  await withAudit(tx).insertInto("audit_events").values(toRow(record)).execute();
}

type AuditSelect = SelectQueryBuilder<WithAudit, "audit_events", AuditEventsTable>;

function filtered(db: Queryable, filter: AuditFilter): AuditSelect {
  let query = withAudit(db).selectFrom("audit_events").selectAll();
  if (filter.projectId !== undefined) query = query.where("project_id", "=", filter.projectId);
  if (filter.subjectType !== undefined) query = query.where("subject_type", "=", filter.subjectType);
  if (filter.subjectId !== undefined) query = query.where("subject_id", "=", filter.subjectId);
  if (filter.actor !== undefined) query = query.where("actor", "=", filter.actor);
  if (filter.action !== undefined) query = query.where("action", "=", filter.action);
  return query;
}

/** Newest first, strictly before `before` (a seq) when given; `limit` rows. */
export async function listNewest(
  db: Queryable,
  options: { filter: AuditFilter; before: number | undefined; limit: number },
): Promise<AuditRecord[]> {
  let query = filtered(db, options.filter);
  if (options.before !== undefined) query = query.where("seq", "<", options.before);
  const rows = await query.orderBy("seq", "desc").limit(options.limit).execute();
  return rows.map(toRecord);
}

/** Oldest first, strictly after `after`, up to and including `upTo` when given; `limit` rows. */
export async function listOldest(
  db: Queryable,
  options: { filter: AuditFilter; after: number; upTo: number | undefined; limit: number },
): Promise<AuditRecord[]> {
  let query = filtered(db, options.filter).where("seq", ">", options.after);
  if (options.upTo !== undefined) query = query.where("seq", "<=", options.upTo);
  const rows = await query.orderBy("seq", "asc").limit(options.limit).execute();
  return rows.map(toRecord);
}

function toRow(record: AuditRecord): AuditEventsTable {
  return {
    seq: record.seq,
    id: record.id,
    at: record.at,
    actor: record.actor,
    action: record.action,
    project_id: record.projectId,
    subject_type: record.subjectType,
    subject_id: record.subjectId,
    data_json: record.dataJson,
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

function toRecord(row: AuditEventsTable): AuditRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    projectId: row.project_id,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    dataJson: row.data_json,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
