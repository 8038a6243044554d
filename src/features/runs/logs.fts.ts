import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import type { DialectName } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";

/** Records indexed per transaction: an ingest waits at most one such transaction for SQLite's write lock. */
const CHUNK_ROWS = 20_000;
/** The index follows once ingest has paused this long: a burst of batches is indexed once, after it. */
const DEFAULT_DELAY_MS = 200;
/** ...or at the latest this long after the first record it has not indexed, when ingest never pauses. */
const DEFAULT_MAX_DELAY_MS = 2_000;

/**
 * How run_logs reaches the SQLite FTS5 index:
 * - `deferred` (0019_runs_perf): after the ingest transaction, up to a watermark (`run_logs_fts_state`). Indexing was
 *   about a quarter of an ingest transaction of 10k records (tokenising, and a new index segment written at every
 *   commit); out of it, a burst of batches is acknowledged sooner, holds SQLite's write lock for less, and is indexed
 *   once, after it. The total work stays about the same. A full-text query first indexes whatever is still pending,
 *   so its results are exact.
 * - `inline`: a database without the watermark table (0019 not applied): in the ingest transaction, as before.
 * - `none`: PostgreSQL, whose GIN index is maintained by the insert itself.
 */
export type FtsMode = "deferred" | "inline" | "none";

async function modeOf(db: Kysely<Database>, dialect: DialectName): Promise<FtsMode> {
  if (dialect !== "sqlite") return "none";
  const found = await sql<{ n: number }>`select count(*) as n from sqlite_master
    where type = 'table' and name = 'run_logs_fts_state'`.execute(db);
  return Number(found.rows[0]?.n ?? 0) > 0 ? "deferred" : "inline";
}

/** Indexes the next `limit` records above the watermark and moves it; returns how many. Run it in a transaction. */
export async function indexPending(db: Queryable, limit: number): Promise<number> {
  const next = await sql<{ mark: number; n: number; upto: number | null }>`select s.indexed_upto as mark, p.n, p.upto
    from run_logs_fts_state s, (select count(*) as n, max(id) as upto from
      (select id from run_logs where id > (select indexed_upto from run_logs_fts_state where id = 1) order by id limit ${limit})) p
    where s.id = 1`.execute(db);
  const row = next.rows[0];
  if (!row || row.upto === null) return 0;
  await sql`insert into run_logs_fts (rowid, msg)
    select id, msg from run_logs where id > ${row.mark} and id <= ${row.upto}`.execute(db);
  await sql`update run_logs_fts_state set indexed_upto = ${row.upto} where id = 1`.execute(db);
  return Number(row.n);
}

export interface FtsIndexerDeps {
  db: Kysely<Database>;
  dialect: DialectName;
  logger?: Pick<Logger, "error">;
  /** How long ingest pauses before the background indexer runs. */
  delayMs?: number;
  /** The longest the background indexer waits for such a pause. */
  maxDelayMs?: number;
  /** Records per indexing transaction. */
  chunkRows?: number;
}

export function createFtsIndexer(deps: FtsIndexerDeps) {
  const { db, dialect } = deps;
  const delayMs = deps.delayMs ?? DEFAULT_DELAY_MS;
  const chunkRows = deps.chunkRows ?? CHUNK_ROWS;
  const maxDelayMs = Math.max(deps.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, delayMs);
  let mode: Promise<FtsMode> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** When the oldest record the background indexer has not run for arrived. */
  let waitingSince: number | undefined;

  const currentMode = (): Promise<FtsMode> => {
    mode ??= modeOf(db, dialect).catch((error: unknown) => {
      mode = undefined;
      throw error;
    });
    return mode;
  };

  /**
   * Indexes every record stored so far (in chunks, other writers get the lock in between). It covers whatever the
   * background run was waiting for, so that wait ends here: otherwise `maxDelayMs` kept counting from a batch this
   * already indexed (say the one before a search) and the background run landed in the middle of the next burst.
   */
  async function catchUp(): Promise<void> {
    if ((await currentMode()) !== "deferred") return;
    const armed = timer !== undefined;
    disarm();
    try {
      while ((await db.transaction().execute((tx) => indexPending(tx, chunkRows))) === chunkRows) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      // The records the background run was waiting for may not be indexed: it runs again (once, as before).
      if (armed) schedule();
      throw error;
    }
  }

  function disarm(): void {
    clearTimeout(timer);
    timer = undefined;
    waitingSince = undefined;
  }

  /**
   * Called after records were committed: the background indexer runs when ingest pauses for `delayMs`, or `maxDelayMs`
   * after the first call it has not run for. Ingest bursts keep SQLite's write lock to themselves; searches meanwhile
   * index what they need first.
   */
  function schedule(): void {
    const now = Date.now();
    waitingSince ??= now;
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        waitingSince = undefined;
        catchUp().catch((error: unknown) => deps.logger?.error({ err: error }, "indexing run logs for full-text search failed"));
      },
      Math.max(0, Math.min(now + delayMs, waitingSince + maxDelayMs) - now),
    );
    timer.unref();
  }

  return {
    /** Whether the ingest transaction must add its records to the full-text index itself. */
    indexesInline: async (): Promise<boolean> => (await currentMode()) === "inline",
    schedule,
    catchUp,
    stop: disarm,
  };
}

export type FtsIndexer = ReturnType<typeof createFtsIndexer>;
