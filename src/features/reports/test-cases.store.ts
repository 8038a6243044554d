import { SqliteAdapter, sql } from "kysely";
import type { Queryable, TestCasesTable } from "../../db/schema.ts";
import type { CaseRow } from "./reports.types.ts";

/** Rows per INSERT: one statement shape (prepared once) and well under SQLite's 32766 bound parameters (15 columns). */
export const CASE_BATCH = 400;
export const FAILED = ["failed", "errored"];

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

/**
 * A run's first `limit` cases with one of `statuses`, in page order (file, seq): one index seek per file and status, so
 * the planner never walks the primary key through every row to avoid a sort.
 */
export async function casesWithStatus(db: Queryable, runId: string, statuses: string[], limit: number) {
  const rows: TestCasesTable[] = [];
  for (const fileId of await storedFileIds(db, runId)) {
    const found: TestCasesTable[] = [];
    for (const status of statuses) found.push(...(await casesOfFile(db, { fileId, afterSeq: -1, status, limit })));
    rows.push(...found.sort(byPosition));
    if (rows.length >= limit) break;
  }
  return rows.slice(0, limit);
}

/** Totals per status of a run, from the covering `(file_id, status, seq, test_key, duration_ms)` index. */
export async function countByStatus(db: Queryable, runId: string): Promise<{ status: string; n: number; duration: number }[]> {
  const rows = await db
    .selectFrom("test_cases")
    .select(["status", (eb) => eb.fn.countAll<number>().as("n"), sql<number>`coalesce(sum(duration_ms), 0)`.as("duration")])
    .where("file_id", "in", storedFiles(db, runId))
    .groupBy("status")
    .execute();
  return rows.map((r) => ({ status: r.status, n: Number(r.n), duration: Number(r.duration) }));
}

/** The slowest cases: a top-N over the covering index first, then only those rows. */
export async function slowestCases(db: Queryable, runId: string, limit: number) {
  const top = await db
    .selectFrom("test_cases")
    .select(["file_id", "seq"])
    .where("file_id", "in", storedFiles(db, runId))
    .where("duration_ms", "is not", null)
    .orderBy("duration_ms", "desc")
    .orderBy("file_id")
    .orderBy("seq")
    .limit(limit)
    .execute();
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

/** How many distinct test keys of `runId` are not in `otherRunId`: two covering-index scans and a set difference. */
export async function countKeysNotIn(db: Queryable, runId: string, otherRunId: string): Promise<number> {
  const keys = (id: string) => db.selectFrom("test_cases").select("test_key").where("file_id", "in", storedFiles(db, id));
  const row = await db
    .selectFrom(keys(runId).except(keys(otherRunId)).as("k"))
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
