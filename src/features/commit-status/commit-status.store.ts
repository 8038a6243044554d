import type { Kysely, Transaction } from "kysely";
import type { CommitStatusDatabase, CommitStatusDeliveriesTable } from "../../db/schema.commit-status.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { CommitState, CommitStatusProvider, DeliveryRecord, DeliveryStatus } from "./commit-status.types.ts";

type WithDeliveries = Kysely<Database & CommitStatusDatabase> | Transaction<Database & CommitStatusDatabase>;

/**
 * The one cast of this feature: its table is typed in `schema.commit-status.ts`, beside the shared `Database`, so the
 * feature can land without editing `schema.ts`. Migration 0003_commit_status creates the table on every database.
 */
function withDeliveries(db: Queryable): WithDeliveries {
  return db as unknown as WithDeliveries;
}

function toRecord(row: CommitStatusDeliveriesTable): DeliveryRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    runId: row.run_id,
    provider: row.provider as CommitStatusProvider,
    sha: row.sha,
    state: row.state as CommitState,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function insertDelivery(db: Queryable, record: DeliveryRecord): Promise<void> {
  await withDeliveries(db)
    .insertInto("commit_status_deliveries")
    .values({
      id: record.id,
      project_id: record.projectId,
      run_id: record.runId,
      provider: record.provider,
      sha: record.sha,
      state: record.state,
      status: record.status,
      attempts: record.attempts,
      last_error: record.lastError,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
    })
    .execute();
}

export async function findDelivery(db: Queryable, id: string): Promise<DeliveryRecord | undefined> {
  const row = await withDeliveries(db).selectFrom("commit_status_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Records the outcome of one attempt (or of giving up). */
export async function recordAttempt(
  db: Queryable,
  update: {
    id: string;
    status: DeliveryStatus;
    attempts: number;
    lastError: string | null;
    provider?: CommitStatusProvider;
    at: string;
  },
): Promise<void> {
  await withDeliveries(db)
    .updateTable("commit_status_deliveries")
    .set({
      status: update.status,
      attempts: update.attempts,
      last_error: update.lastError,
      updated_at: update.at,
      ...(update.provider ? { provider: update.provider } : {}),
    })
    .where("id", "=", update.id)
    .execute();
}

/** A run's deliveries, oldest first. */
export async function listRunDeliveries(db: Queryable, runId: string): Promise<DeliveryRecord[]> {
  const rows = await withDeliveries(db)
    .selectFrom("commit_status_deliveries")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map(toRecord);
}
