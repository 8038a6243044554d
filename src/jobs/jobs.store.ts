import { sql } from "kysely";
import type { DbCapabilities } from "../db/connect.ts";
import type { JobsTable, Queryable } from "../db/schema.ts";
import { newId } from "../shared/ids.ts";
import type { EnqueueOptions, Job } from "./jobs.types.ts";

function toJob(row: JobsTable): Job {
  return {
    id: row.id,
    type: row.type,
    key: row.key,
    payload: JSON.parse(row.payload) as unknown,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
  };
}

export async function enqueueJob(db: Queryable, options: EnqueueOptions, now: Date): Promise<string> {
  const id = newId("job", now.getTime());
  const at = now.toISOString();
  await db
    .insertInto("jobs")
    .values({
      id,
      type: options.type,
      key: options.key ?? null,
      payload: JSON.stringify(options.payload ?? null),
      status: "pending",
      run_at: (options.runAt ?? now).toISOString(),
      attempts: 0,
      max_attempts: options.maxAttempts ?? 10,
      poked: 0,
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}

/**
 * Claims the next due job in one statement. On PostgreSQL the inner select skips rows other replicas have locked;
 * on SQLite the UPDATE holds the database write lock, which serialises claims across processes.
 */
export async function claimJob(
  db: Queryable,
  options: { owner: string; leaseMs: number; now: Date; capabilities: DbCapabilities },
): Promise<Job | undefined> {
  const now = options.now.toISOString();
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs).toISOString();
  const next = db
    .selectFrom("jobs")
    .select("id")
    .where("status", "=", "pending")
    .where("run_at", "<=", now)
    .orderBy("run_at")
    .limit(1);
  const due = options.capabilities.skipLocked ? next.forUpdate().skipLocked() : next;
  const row = await db
    .updateTable("jobs")
    .set({ status: "running", lease_owner: options.owner, lease_expires_at: leaseUntil, poked: 0, updated_at: now })
    .where("id", "=", (eb) => eb.selectFrom(due.as("due")).select("due.id"))
    .where("status", "=", "pending")
    .returningAll()
    .executeTakeFirst();
  return row ? toJob(row) : undefined;
}

/** Extends the lease; false when the job is no longer ours (swept after a stall), so the caller must stop. */
export async function heartbeatJob(db: Queryable, id: string, owner: string, leaseUntil: Date): Promise<boolean> {
  const result = await db
    .updateTable("jobs")
    .set({ lease_expires_at: leaseUntil.toISOString() })
    .where("id", "=", id)
    .where("lease_owner", "=", owner)
    .where("status", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function completeJob(db: Queryable, id: string, owner: string): Promise<void> {
  await db.deleteFrom("jobs").where("id", "=", id).where("lease_owner", "=", owner).execute();
}

/** Puts a job back to wait; when it was poked while running, it is due at once instead. */
export async function rescheduleJob(
  db: Queryable,
  options: { id: string; owner: string; runAt: Date; now: Date; error?: string; countAttempt: boolean },
): Promise<void> {
  const now = options.now.toISOString();
  await db
    .updateTable("jobs")
    .set((eb) => ({
      status: "pending",
      run_at: sql<string>`case when ${eb.ref("poked")} = 1 then ${now} else ${options.runAt.toISOString()} end`,
      poked: 0,
      attempts: options.countAttempt ? sql<number>`${eb.ref("attempts")} + 1` : eb.ref("attempts"),
      last_error: options.error ?? null,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
    }))
    .where("id", "=", options.id)
    .where("lease_owner", "=", options.owner)
    .execute();
}

export async function failJob(db: Queryable, options: { id: string; owner: string; error: string; now: Date }): Promise<void> {
  await db
    .updateTable("jobs")
    .set({
      status: "failed",
      last_error: options.error,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: options.now.toISOString(),
    })
    .where("id", "=", options.id)
    .where("lease_owner", "=", options.owner)
    .execute();
}

/** Wakes the waiting job with this key now; a running one is marked to rerun as soon as it yields. */
export async function pokeJob(db: Queryable, key: string, now: Date): Promise<void> {
  const at = now.toISOString();
  await db
    .updateTable("jobs")
    .set({ run_at: at, updated_at: at })
    .where("key", "=", key)
    .where("status", "=", "pending")
    .execute();
  await db.updateTable("jobs").set({ poked: 1 }).where("key", "=", key).where("status", "=", "running").execute();
}

export async function hasOpenJob(db: Queryable, key: string): Promise<boolean> {
  const row = await db
    .selectFrom("jobs")
    .select("id")
    .where("key", "=", key)
    .where("status", "in", ["pending", "running"])
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Returns jobs whose lease ran out (their process died or stalled) to the queue. The handler finds out on its next run
 * what was interrupted and decides: resume, retry, or record that the outcome is unknown. `keep`: jobs the calling
 * process is still running (its heartbeat was late, e.g. its event loop stalled); handing those out again would have
 * that process start them a second time.
 */
export async function releaseExpiredLeases(db: Queryable, now: Date, keep: readonly string[] = []): Promise<number> {
  const at = now.toISOString();
  let query = db
    .updateTable("jobs")
    .set({
      status: "pending",
      lease_owner: null,
      lease_expires_at: null,
      run_at: at,
      last_error: "lease expired",
      updated_at: at,
    })
    .where("status", "=", "running")
    .where("lease_expires_at", "<", at);
  if (keep.length > 0) query = query.where("id", "not in", keep);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
