import { insertRows } from "../../db/insert-rows.ts";
import type { Queryable } from "../../db/schema.ts";
import { FAILED, STATUSES } from "./reports.types.ts";

/**
 * `test_case_keys` (migration 0020): a completed run's test keys in key order. Written once by `complete()`, sorted, so
 * the per-test history, the base comparison and flaky probes have a key index without a random insert per stored case
 * during the upload (see the migration for what that cost).
 */

/** Rows read per statement from an index: a few ms each, so no statement holds the one SQLite connection long. */
export const KEY_STEP = 2500;
/** Rows per INSERT statement and per transaction when a run's keys are written (5 columns). */
const KEY_ROWS = 500;
const KEYS_PER_TX = 2000;

const KEY_COLUMNS = ["run_id", "test_key", "file_id", "seq", "status"] as const;

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface KeyEntry {
  key: string;
  fileId: string;
  seq: number;
  status: string;
}

const byKey = (a: KeyEntry, b: KeyEntry): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : a.seq - b.seq;

/** The run's stored (published) files; `uploading` ones are invisible. */
async function storedFileIds(db: Queryable, runId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("report_files")
    .select("id")
    .where("run_id", "=", runId)
    .where("status", "=", "stored")
    .orderBy("id")
    .execute();
  return rows.map((r) => r.id);
}

/** Every stored case's key and status of a run, from the covering `(file_id, status, seq, test_key, …)` index in slices. */
async function readRunKeys(db: Queryable, runId: string, statuses: readonly string[] = STATUSES): Promise<KeyEntry[]> {
  const entries: KeyEntry[] = [];
  for (const fileId of await storedFileIds(db, runId)) {
    for (const status of statuses) {
      let afterSeq = -1;
      for (;;) {
        const rows = await db
          .selectFrom("test_cases")
          .select(["seq", "test_key"])
          .where("file_id", "=", fileId)
          .where("status", "=", status)
          .where("seq", ">", afterSeq)
          .orderBy("seq")
          .limit(KEY_STEP)
          .execute();
        for (const row of rows) entries.push({ key: row.test_key, fileId, seq: row.seq, status });
        const last = rows.at(-1);
        if (!last || rows.length < KEY_STEP) break;
        afterSeq = last.seq;
        await nextTick();
      }
    }
  }
  return entries;
}

const isFailed = (status: string): boolean => FAILED.includes(status);

/** Keys that both passed and failed among `entries` sorted by key. */
function passedAndFailed(entries: KeyEntry[]): string[] {
  const keys: string[] = [];
  for (let i = 0; i < entries.length; ) {
    const key = (entries[i] as KeyEntry).key;
    let passed = false;
    let failed = false;
    for (; i < entries.length && (entries[i] as KeyEntry).key === key; i++) {
      const status = (entries[i] as KeyEntry).status;
      passed ||= status === "passed";
      failed ||= isFailed(status);
    }
    if (passed && failed) keys.push(key);
  }
  return keys;
}

/**
 * `entries` in key order, as slices of keys sharing their first two characters (test keys are hex: 256 slices of ~800
 * at 200k cases), each sorted when it is reached: one sort of 200k entries held the event loop for 150–400 ms.
 */
function* sortedSlices(entries: KeyEntry[]): Generator<KeyEntry[]> {
  const slices = new Map<string, KeyEntry[]>();
  for (const entry of entries) {
    const prefix = entry.key.slice(0, 2);
    const slice = slices.get(prefix);
    if (slice) slice.push(entry);
    else slices.set(prefix, [entry]);
  }
  for (const prefix of [...slices.keys()].sort()) yield (slices.get(prefix) as KeyEntry[]).sort(byKey);
}

/**
 * Writes a run's keys in key order (replacing any from an earlier completion), about KEYS_PER_TX rows per transaction
 * with the event loop running between. Returns the keys that both passed and failed in the run (duplicated flaky),
 * found on the way.
 */
export async function storeRunKeys(db: Queryable, runId: string): Promise<string[]> {
  const entries = await readRunKeys(db, runId);
  await db.deleteFrom("test_case_keys").where("run_id", "=", runId).execute();
  const duplicated: string[] = [];
  let pending: KeyEntry[] = [];
  const write = async (rows: KeyEntry[]) => {
    await db.transaction().execute(async (tx) => {
      for (let from = 0; from < rows.length; from += KEY_ROWS) {
        const to = Math.min(rows.length, from + KEY_ROWS);
        const params: unknown[] = [];
        for (let j = from; j < to; j++) {
          const e = rows[j] as KeyEntry;
          params.push(runId, e.key, e.fileId, e.seq, e.status);
        }
        // A second complete() of the same run running at the same time writes the same rows: not an error.
        await insertRows(tx, { table: "test_case_keys", columns: KEY_COLUMNS, rows: to - from, params, skipExisting: true });
      }
    });
    await nextTick();
  };
  for (const slice of sortedSlices(entries)) {
    duplicated.push(...passedAndFailed(slice));
    pending = pending.length === 0 ? slice : pending.concat(slice);
    if (pending.length >= KEYS_PER_TX) {
      await write(pending);
      pending = [];
    }
  }
  if (pending.length > 0) await write(pending);
  return duplicated;
}

/** Distinct failing keys of a run, from the covering index (a few percent of the cases). */
async function failingKeys(db: Queryable, runId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("test_cases")
    .select("test_key")
    .distinct()
    .where("file_id", "in", db.selectFrom("report_files").select("id").where("run_id", "=", runId).where("status", "=", "stored"))
    .where("status", "in", FAILED)
    .execute();
  return rows.map((r) => r.test_key);
}

/**
 * Keys that both passed and failed in the run (shards, retries, reruns). A completed run's keys are probed in
 * `test_case_keys`; an open run has none there yet, so its passed keys are read from the covering index instead.
 */
export async function duplicatedFlakyKeys(db: Queryable, run: { id: string; status: string }): Promise<string[]> {
  const failing = await failingKeys(db, run.id);
  if (failing.length === 0) return [];
  if (run.status !== "complete") {
    const wanted = new Set(failing);
    const found = new Set<string>();
    for (const e of await readRunKeys(db, run.id, ["passed"])) if (wanted.has(e.key)) found.add(e.key);
    return [...found];
  }
  const found: string[] = [];
  for (let i = 0; i < failing.length; i += KEY_ROWS) {
    const rows = await db
      .selectFrom("test_case_keys")
      .select("test_key")
      .distinct()
      .where("run_id", "=", run.id)
      .where("test_key", "in", failing.slice(i, i + KEY_ROWS))
      .where("status", "=", "passed")
      .execute();
    found.push(...rows.map((r) => r.test_key));
  }
  return found;
}

/** A completed run's distinct keys in order, KEY_STEP at a time from `test_case_keys`. */
async function* distinctKeys(db: Queryable, runId: string): AsyncGenerator<string[]> {
  let after: string | undefined;
  for (;;) {
    let query = db
      .selectFrom("test_case_keys")
      .select("test_key")
      .distinct()
      .where("run_id", "=", runId)
      .orderBy("test_key")
      .limit(KEY_STEP);
    if (after !== undefined) query = query.where("test_key", ">", after);
    const rows = await query.execute();
    if (rows.length > 0) yield rows.map((r) => r.test_key);
    const last = rows.at(-1);
    if (!last || rows.length < KEY_STEP) return;
    after = last.test_key;
    await nextTick();
  }
}

/** Reads a sorted stream of key slices one key at a time. */
class KeyCursor {
  private slice: string[] = [];
  private at = 0;
  private ended = false;
  constructor(private readonly source: AsyncGenerator<string[]>) {}

  /** The current key, or undefined at the end. */
  async current(): Promise<string | undefined> {
    while (this.at >= this.slice.length && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        this.slice = next.value;
        this.at = 0;
      }
    }
    return this.slice[this.at];
  }

  advance(): void {
    this.at++;
  }
}

/**
 * How many distinct tests `runId` has that `baseId` has not (added), and the reverse (removed): a merge of both completed
 * runs' keys in key order, read in slices. Nothing is held but two slices; no statement holds the database long.
 * (Before: one `EXCEPT` per direction held the connection 0.3–3.5 s; then a Map of the base's 200k keys.)
 */
export async function countAddedRemoved(db: Queryable, runId: string, baseId: string) {
  const run = new KeyCursor(distinctKeys(db, runId));
  const base = new KeyCursor(distinctKeys(db, baseId));
  let added = 0;
  let removed = 0;
  for (;;) {
    const a = await run.current();
    const b = await base.current();
    if (a === undefined && b === undefined) break;
    if (b === undefined || (a !== undefined && a < b)) {
      added++;
      run.advance();
    } else if (a === undefined || b < a) {
      removed++;
      base.advance();
    } else {
      run.advance();
      base.advance();
    }
  }
  return { added, removed };
}
