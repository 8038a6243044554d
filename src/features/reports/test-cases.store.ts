import { SqliteAdapter, sql } from "kysely";
import { insertRows } from "../../db/insert-rows.ts";
import type { Queryable, TestCasesTable } from "../../db/schema.ts";
import type { CaseRow } from "./reports.types.ts";

/** Rows per INSERT: one statement shape (prepared once) and well under SQLite's 32766 bound parameters (15 columns). */
export const CASE_BATCH = 400;

import { FAILED, STATUSES } from "./reports.types.ts";

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How a name is kept in the search index and how a query is matched against it: lower case, no tabs or newlines. */
export const searchText = (text: string | null): string => (text ?? "").toLowerCase().replace(/[\t\n\r]/g, " ");

/** Only visible (stored) files count; `uploading` ones are invisible until published. */
export const storedFiles = (db: Queryable, runId: string) =>
  db.selectFrom("report_files").select("id").where("run_id", "=", runId).where("status", "=", "stored");

export async function storedFileIds(db: Queryable, runId: string): Promise<string[]> {
  return (await storedFiles(db, runId).orderBy("id").execute()).map((r) => r.id);
}

const CASE_COLUMNS = [
  "file_id",
  "run_id",
  "seq",
  "test_key",
  "suite",
  "classname",
  "name",
  "file",
  "duration_ms",
  "status",
  "message",
  "stack",
  "system_out",
  "system_err",
  "reruns",
] as const satisfies readonly (keyof TestCasesTable)[];
const NAME_COLUMNS = ["file_id", "first_seq", "last_seq", "names"] as const;

/**
 * Inserts one batch of a file's cases (consecutive seqs) in statements of CASE_BATCH rows, each with its line in the name
 * search index. Callers wrap several batches in one transaction.
 */
export async function insertCaseBatch(db: Queryable, fileId: string, runId: string, cases: CaseRow[]): Promise<void> {
  for (let i = 0; i < cases.length; i += CASE_BATCH) {
    const end = Math.min(cases.length, i + CASE_BATCH);
    const params: unknown[] = [];
    let names = "";
    for (let j = i; j < end; j++) {
      const c = cases[j] as CaseRow;
      params.push(fileId, runId, c.seq, c.testKey, c.suite, c.classname, c.name, c.file, c.durationMs, c.status);
      params.push(c.message, c.stack, c.systemOut, c.systemErr, c.reruns);
      names += `${j === i ? "" : "\n"}${searchText(c.classname)}\t${searchText(c.name)}`;
    }
    await insertRows(db, { table: "test_cases", columns: CASE_COLUMNS, rows: end - i, params });
    const first = (cases[i] as CaseRow).seq;
    const last = (cases[end - 1] as CaseRow).seq;
    await insertRows(db, { table: "test_case_names", columns: NAME_COLUMNS, rows: 1, params: [fileId, first, last, names] });
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

/** `test_case_keys` rows of a completed run for the key of the outer row `alias` (a probe on its primary key). */
const keysOfRun = (db: Queryable, runId: string, alias: "a" | "b") =>
  db
    .selectFrom("test_case_keys as k")
    .select("k.seq")
    .where("k.run_id", "=", runId)
    .where("k.test_key", "=", sql.ref<string>(`${alias}.test_key`));

/**
 * Failing rows of `runId` whose test did not fail in the completed run `baseId` (new failures), in page order (sorted
 * here: an ORDER BY makes the planner walk the primary key).
 */
export async function failingNotFailingIn(db: Queryable, runId: string, baseId: string) {
  return db
    .selectFrom("test_cases as a")
    .select(["a.file_id", "a.seq", "a.test_key", "a.classname", "a.name"])
    .where("a.file_id", "in", storedFiles(db, runId))
    .where("a.status", "in", FAILED)
    .where(({ not, exists }) => not(exists(keysOfRun(db, baseId, "a").where("k.status", "in", FAILED))))
    .execute()
    .then((rows) => rows.sort(byPosition));
}

/**
 * Failing rows of `baseId` whose test passed and never failed in the completed run `runId` (fixed), in page order
 * (sorted here: an ORDER BY makes the planner walk the primary key).
 */
export async function fixedIn(db: Queryable, baseId: string, runId: string) {
  return db
    .selectFrom("test_cases as b")
    .select(["b.file_id", "b.seq", "b.test_key", "b.classname", "b.name"])
    .where("b.file_id", "in", storedFiles(db, baseId))
    .where("b.status", "in", FAILED)
    .where(({ and, not, exists }) =>
      and([
        exists(keysOfRun(db, runId, "b").where("k.status", "=", "passed")),
        not(exists(keysOfRun(db, runId, "b").where("k.status", "in", FAILED))),
      ]),
    )
    .execute()
    .then((rows) => rows.sort(byPosition));
}
