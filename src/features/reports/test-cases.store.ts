import { SqliteAdapter, sql } from "kysely";
import type { Queryable, TestCasesTable } from "../../db/schema.ts";
import type { CaseStatus } from "./parsers/parser.types.ts";
import type { CaseRow } from "./reports.types.ts";

/** Rows per INSERT: one statement shape (prepared once) and well under SQLite's 32766 bound parameters (15 columns). */
export const CASE_BATCH = 400;
export const FAILED = ["failed", "errored"];
/** Every status a case can have (the Record makes the compiler check that none is missing). */
const STATUSES = Object.keys({ passed: 1, failed: 1, errored: 1, skipped: 1, flaky: 1 } satisfies Record<CaseStatus, 1>);

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How a name is kept in the search index and how a query is matched against it: lower case, no tabs or newlines. */
export const searchText = (text: string | null): string => (text ?? "").toLowerCase().replace(/[\t\n\r]/g, " ");

/** Only visible (stored) files count; `uploading` ones are invisible until published. */
export const storedFiles = (db: Queryable, runId: string) =>
  db.selectFrom("report_files").select("id").where("run_id", "=", runId).where("status", "=", "stored");

export async function storedFileIds(db: Queryable, runId: string): Promise<string[]> {
  return (await storedFiles(db, runId).orderBy("id").execute()).map((r) => r.id);
}

/**
 * Inserts one batch of a file's cases (consecutive seqs) in statements of CASE_BATCH rows, each with its line in the name
 * search index. Callers wrap several batches in one transaction.
 */
export async function insertCaseBatch(db: Queryable, fileId: string, runId: string, cases: CaseRow[]): Promise<void> {
  for (let i = 0; i < cases.length; i += CASE_BATCH) {
    const slice = cases.slice(i, i + CASE_BATCH);
    const first = slice[0];
    const last = slice[slice.length - 1];
    if (!first || !last) continue;
    await db
      .insertInto("test_cases")
      .values(
        slice.map((c) => ({
          file_id: fileId,
          run_id: runId,
          seq: c.seq,
          test_key: c.testKey,
          suite: c.suite,
          classname: c.classname,
          name: c.name,
          file: c.file,
          duration_ms: c.durationMs,
          status: c.status,
          message: c.message,
          stack: c.stack,
          system_out: c.systemOut,
          system_err: c.systemErr,
          reruns: c.reruns,
        })),
      )
      .execute();
    const names = slice.map((c) => `${searchText(c.classname)}\t${searchText(c.name)}`).join("\n");
    await db.insertInto("test_case_names").values({ file_id: fileId, first_seq: first.seq, last_seq: last.seq, names }).execute();
  }
}

/** One file's cases after `afterSeq` in seq order: the primary key, or `(file_id, status, seq)` with a status. */
export async function casesOfFile(
  db: Queryable,
  filter: { fileId: string; afterSeq: number; status?: string; limit: number },
): Promise<TestCasesTable[]> {
  let query = db
    .selectFrom("test_cases")
    .selectAll()
    .where("file_id", "=", filter.fileId)
    .where("seq", ">", filter.afterSeq)
    .orderBy("seq")
    .limit(filter.limit);
  if (filter.status) query = query.where("status", "=", filter.status);
  return query.execute();
}

const likePattern = (needle: string): string => `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The next `limit` name-index chunks of one file after `afterSeq` that contain `needle` somewhere: a scan of short texts
 * (400 names each) that stops as soon as it has `limit` of them.
 */
export async function matchingChunks(
  db: Queryable,
  filter: { fileId: string; afterSeq: number; needle: string; limit: number },
): Promise<{ first_seq: number; last_seq: number; names: string }[]> {
  let query = db
    .selectFrom("test_case_names")
    .select(["first_seq", "last_seq", "names"])
    .where("file_id", "=", filter.fileId)
    .where("last_seq", ">", filter.afterSeq)
    .where(sql<boolean>`names like ${likePattern(filter.needle)} escape '\\'`)
    .orderBy("first_seq")
    .limit(filter.limit);
  // SQLite: the FTS5 trigram table (0014_perf) narrows the chunks first; PostgreSQL's pg_trgm index serves the LIKE itself.
  const trigrams = ftsTrigrams(filter.needle);
  if (trigrams && db.getExecutor().adapter instanceof SqliteAdapter) {
    query = query.where(
      sql<boolean>`rowid in (select rowid from test_case_names_fts where test_case_names_fts match ${trigrams})`,
    );
  }
  return query.execute();
}

/** Every distinct trigram of `needle` as an FTS5 AND query, or null under 3 characters (no trigram to look up). */
export function ftsTrigrams(needle: string): string | null {
  const chars = [...needle];
  if (chars.length < 3) return null;
  const terms = new Set<string>();
  for (let i = 0; i + 3 <= chars.length; i++) terms.add(chars.slice(i, i + 3).join(""));
  return [...terms].map((term) => `"${term.replace(/"/g, '""')}"`).join(" AND ");
}

/** Indexes of the lines of `text` that contain `needle` (which holds no newline). */
export function matchingLines(text: string, needle: string): number[] {
  const lines: number[] = [];
  let line = 0;
  let counted = 0;
  let at = text.indexOf(needle);
  while (at >= 0) {
    for (let nl = text.indexOf("\n", counted); nl >= 0 && nl < at; nl = text.indexOf("\n", nl + 1)) {
      line++;
      counted = nl + 1;
    }
    lines.push(line);
    const end = text.indexOf("\n", at);
    if (end < 0) break;
    line++;
    counted = end + 1;
    at = text.indexOf(needle, counted);
  }
  return lines;
}

export async function casesBySeq(
  db: Queryable,
  filter: { fileId: string; seqs: number[]; status?: string },
): Promise<TestCasesTable[]> {
  if (filter.seqs.length === 0) return [];
  let query = db
    .selectFrom("test_cases")
    .selectAll()
    .where("file_id", "=", filter.fileId)
    .where("seq", "in", filter.seqs)
    .orderBy("seq");
  if (filter.status) query = query.where("status", "=", filter.status);
  return query.execute();
}

const byPosition = <T extends { file_id: string; seq: number }>(a: T, b: T): number =>
  a.file_id < b.file_id ? -1 : a.file_id > b.file_id ? 1 : a.seq - b.seq;

/** Rows (with their messages and stacks) read per statement when completion lists a run's failures. */
const ROWS_STEP = 250;

/**
 * A run's first `limit` cases with one of `statuses`, in page order (file, seq): index seeks per file and status, so the
 * planner never walks the primary key through every row to avoid a sort, ROWS_STEP rows at a time.
 */
export async function casesWithStatus(db: Queryable, runId: string, statuses: string[], limit: number) {
  const rows: TestCasesTable[] = [];
  for (const fileId of await storedFileIds(db, runId)) {
    const found: TestCasesTable[] = [];
    for (const status of statuses) {
      let afterSeq = -1;
      for (let got = 0; got < limit; ) {
        const step = await casesOfFile(db, { fileId, afterSeq, status, limit: Math.min(ROWS_STEP, limit - got) });
        found.push(...step);
        got += step.length;
        const last = step.at(-1);
        if (!last || step.length < ROWS_STEP) break;
        afterSeq = last.seq;
        await nextTick();
      }
    }
    rows.push(...found.sort(byPosition));
    if (rows.length >= limit) break;
  }
  return rows.slice(0, limit);
}

/** Cases per seq slice when completion walks a run's index: a few ms of SQLite each, so no statement holds the DB long. */
export const SEQ_STEP = 20_000;

/** `[from, to)` seq slices of every stored file of a run, SEQ_STEP wide. */
async function seqSlices(db: Queryable, runId: string): Promise<{ fileId: string; from: number; to: number }[]> {
  const slices: { fileId: string; from: number; to: number }[] = [];
  for (const fileId of await storedFileIds(db, runId)) {
    const row = await db
      .selectFrom("test_cases")
      .select((eb) => eb.fn.max("seq").as("last"))
      .where("file_id", "=", fileId)
      .executeTakeFirst();
    const last = row?.last === null || row?.last === undefined ? -1 : Number(row.last);
    for (let from = 0; from <= last; from += SEQ_STEP) slices.push({ fileId, from, to: from + SEQ_STEP });
  }
  return slices;
}

/** The covering index's entries of one status in one seq slice. */
const inSlice = (db: Queryable, slice: { fileId: string; from: number; to: number }, status: string) =>
  db
    .selectFrom("test_cases")
    .where("file_id", "=", slice.fileId)
    .where("status", "=", status)
    .where("seq", ">=", slice.from)
    .where("seq", "<", slice.to);

/**
 * Totals per status of a run, from the covering `(file_id, status, seq, test_key, duration_ms)` index, one status and seq
 * slice per statement (one GROUP BY over 200k entries held the connection ~0.1–0.4 s).
 */
export async function countByStatus(db: Queryable, runId: string): Promise<{ status: string; n: number; duration: number }[]> {
  const totals = new Map<string, { n: number; duration: number }>();
  for (const slice of await seqSlices(db, runId)) {
    for (const status of STATUSES) {
      const row = await inSlice(db, slice, status)
        .select([(eb) => eb.fn.countAll<number>().as("n"), sql<number>`coalesce(sum(duration_ms), 0)`.as("duration")])
        .executeTakeFirst();
      const n = Number(row?.n ?? 0);
      if (n === 0) continue;
      const total = totals.get(status) ?? { n: 0, duration: 0 };
      totals.set(status, { n: total.n + n, duration: total.duration + Number(row?.duration ?? 0) });
    }
    await nextTick();
  }
  return [...totals].map(([status, t]) => ({ status, ...t }));
}

/** The slowest cases: a top-N per status and seq slice over the covering index, merged here, then only those rows. */
export async function slowestCases(db: Queryable, runId: string, limit: number) {
  let top: { file_id: string; seq: number; duration_ms: number | null }[] = [];
  for (const slice of await seqSlices(db, runId)) {
    for (const status of STATUSES) {
      const rows = await inSlice(db, slice, status)
        .select(["file_id", "seq", "duration_ms"])
        .where("duration_ms", "is not", null)
        .orderBy("duration_ms", "desc")
        .orderBy("seq")
        .limit(limit)
        .execute();
      top = [...top, ...rows].sort((a, b) => (b.duration_ms ?? 0) - (a.duration_ms ?? 0) || byPosition(a, b)).slice(0, limit);
    }
    await nextTick();
  }
  const rows: TestCasesTable[] = [];
  for (const { file_id, seq } of top) rows.push(...(await casesBySeq(db, { fileId: file_id, seqs: [seq] })));
  return rows;
}

/** Keys that both passed and failed in the run (shards, retries, reruns): found from the few failing rows. */
export async function duplicatedFlakyKeys(db: Queryable, runId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("test_cases as f")
    .select("f.test_key")
    .distinct()
    .where("f.file_id", "in", storedFiles(db, runId))
    .where("f.status", "in", FAILED)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("test_cases as p")
          .select("p.seq")
          .whereRef("p.test_key", "=", "f.test_key")
          .where("p.run_id", "=", runId)
          .where("p.status", "=", "passed")
          .where("p.file_id", "in", storedFiles(db, runId)),
      ),
    )
    .execute();
  return rows.map((r) => r.test_key);
}

/** Failing rows of `runId` whose test did not fail in `baseId` (new failures), in page order (sorted here: an ORDER BY makes the planner walk the primary key). */
export async function failingNotFailingIn(db: Queryable, runId: string, baseId: string) {
  return db
    .selectFrom("test_cases as a")
    .select(["a.file_id", "a.seq", "a.test_key", "a.classname", "a.name"])
    .where("a.file_id", "in", storedFiles(db, runId))
    .where("a.status", "in", FAILED)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("test_cases as b")
            .select("b.seq")
            .whereRef("b.test_key", "=", "a.test_key")
            .where("b.run_id", "=", baseId)
            .where("b.status", "in", FAILED)
            .where("b.file_id", "in", storedFiles(db, baseId)),
        ),
      ),
    )
    .execute()
    .then((rows) => rows.sort(byPosition));
}

/** Failing rows of `baseId` whose test passed and never failed in `runId` (fixed), in page order (sorted here: an ORDER BY makes the planner walk the primary key). */
export async function fixedIn(db: Queryable, baseId: string, runId: string) {
  return db
    .selectFrom("test_cases as b")
    .select(["b.file_id", "b.seq", "b.test_key", "b.classname", "b.name"])
    .where("b.file_id", "in", storedFiles(db, baseId))
    .where("b.status", "in", FAILED)
    .where(({ and, not, exists, selectFrom }) =>
      and([
        exists(
          selectFrom("test_cases as p")
            .select("p.seq")
            .whereRef("p.test_key", "=", "b.test_key")
            .where("p.run_id", "=", runId)
            .where("p.status", "=", "passed")
            .where("p.file_id", "in", storedFiles(db, runId)),
        ),
        not(
          exists(
            selectFrom("test_cases as f")
              .select("f.seq")
              .whereRef("f.test_key", "=", "b.test_key")
              .where("f.run_id", "=", runId)
              .where("f.status", "in", FAILED)
              .where("f.file_id", "in", storedFiles(db, runId)),
          ),
        ),
      ]),
    )
    .execute()
    .then((rows) => rows.sort(byPosition));
}

/** Test keys read per statement when comparing two runs: a few ms each, so no statement holds the DB long. */
export const KEY_STEP = 2500;

/** Every stored case's test key of a run, KEY_STEP at a time from the covering index, the event loop running between. */
async function* keysOf(db: Queryable, runId: string): AsyncGenerator<string[]> {
  for (const fileId of await storedFileIds(db, runId)) {
    for (const status of STATUSES) {
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
        const last = rows.at(-1);
        if (!last) break;
        afterSeq = last.seq;
        yield rows.map((r) => r.test_key);
        await nextTick();
        if (rows.length < KEY_STEP) break;
      }
    }
  }
}

/**
 * How many distinct tests `runId` has that `baseId` has not (added), and the reverse (removed). One `EXCEPT` per
 * direction over two 200k-case runs held the one SQLite connection (and every other request) for 0.3–3.5 s, and a
 * lookup per key on `(test_key, run_id)` reads random index pages (~10× the time in all). Both runs' keys are read
 * instead in slices from the covering index, in order; the base's are held in memory (~100 bytes a test) and each of
 * the run's is checked against them.
 */
export async function countAddedRemoved(db: Queryable, runId: string, baseId: string) {
  const inRun = new Map<string, boolean>();
  for await (const keys of keysOf(db, baseId)) for (const key of keys) inRun.set(key, false);
  const added = new Set<string>();
  for await (const keys of keysOf(db, runId)) {
    for (const key of keys) {
      if (inRun.has(key)) inRun.set(key, true);
      else added.add(key);
    }
  }
  let removed = 0;
  for (const seen of inRun.values()) if (!seen) removed++;
  return { added: added.size, removed };
}
