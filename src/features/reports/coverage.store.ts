import { sql } from "kysely";
import type { Queryable } from "../../db/schema.ts";
import type { CoverageRow } from "./reports.types.ts";

/** Rows per INSERT … SELECT: 3 bound parameters each. */
const COPY_BATCH = 300;

const storedFiles = (db: Queryable, runId: string) =>
  db.selectFrom("report_files").select("id").where("run_id", "=", runId).where("status", "=", "stored");

/** Where each coverage row of a run's stored files is, and its path as uploaded: no line data. */
export async function coverageRefs(db: Queryable, runId: string) {
  return db
    .selectFrom("coverage_files")
    .select(["file_id", "seq", "path"])
    .where("file_id", "in", storedFiles(db, runId))
    .orderBy("file_id")
    .orderBy("seq")
    .execute();
}

/** The line data of some rows, for the paths that occur more than once and have to be merged in JS. */
export async function coverageRowsAt(db: Queryable, refs: { file_id: string; seq: number }[]) {
  if (refs.length === 0) return [];
  return db
    .selectFrom("coverage_files")
    .select(["file_id", "seq", "path", "lines_json", "branches_json", "lines_covered", "lines_total"])
    .where((eb) => eb.or(refs.map((r) => eb.and([eb("file_id", "=", r.file_id), eb("seq", "=", r.seq)]))))
    .execute();
}

export async function clearRunCoverage(db: Queryable, runId: string): Promise<void> {
  await db.deleteFrom("run_coverage").where("run_id", "=", runId).execute();
}

/**
 * Gives each row its place in the run's merged coverage under its normalised path. The line data stays where it is: the
 * run_coverage row keeps the totals and points at its coverage_files row, so a 100 MB LCOV file is not written twice.
 * A row without line data (coverage-summary.json) keeps its line totals only, as a merge would. The CROSS JOIN keeps
 * the batch as the outer loop in SQLite: with a plain join its planner scanned every coverage row once per batch.
 */
export async function referenceCoverage(
  db: Queryable,
  runId: string,
  rows: { file_id: string; seq: number; path: string }[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += COPY_BATCH) {
    const values = sql.join(rows.slice(i, i + COPY_BATCH).map((r) => sql`(${r.file_id}, cast(${r.seq} as integer), ${r.path})`));
    await sql`
      with m (file_id, seq, path) as (values ${values})
      insert into run_coverage (run_id, path, lines_json, branches_json, lines_covered, lines_total,
        branches_covered, branches_total, source_file_id, source_seq)
      select ${runId}, m.path, '', '', c.lines_covered, c.lines_total,
        case when octet_length(c.lines_json) = 2 and octet_length(c.branches_json) = 2 then 0 else c.branches_covered end,
        case when octet_length(c.lines_json) = 2 and octet_length(c.branches_json) = 2 then 0 else c.branches_total end,
        c.file_id, c.seq
      from m cross join coverage_files c where c.file_id = m.file_id and c.seq = m.seq`.execute(db);
  }
}

/** A run's merged coverage rows with their line data, wherever it is kept. */
export const runCoverageRows = (db: Queryable, runId: string) =>
  db
    .selectFrom("run_coverage as r")
    .leftJoin("coverage_files as c", (join) =>
      join.onRef("c.file_id", "=", "r.source_file_id").onRef("c.seq", "=", "r.source_seq"),
    )
    .select([
      "r.path",
      sql<string>`coalesce(c.lines_json, r.lines_json)`.as("lines_json"),
      sql<string>`coalesce(c.branches_json, r.branches_json)`.as("branches_json"),
      "r.lines_covered",
      "r.lines_total",
      "r.branches_covered",
      "r.branches_total",
    ])
    .where("r.run_id", "=", runId);

/** A page of a run's merged coverage in path order: totals and line data, not branch data (the list does not show it). */
export async function listRunCoverage(db: Queryable, runId: string, filter: { prefix?: string; limit: number; after?: string }) {
  let query = db
    .selectFrom("run_coverage as r")
    .leftJoin("coverage_files as c", (join) =>
      join.onRef("c.file_id", "=", "r.source_file_id").onRef("c.seq", "=", "r.source_seq"),
    )
    .select([
      "r.path",
      sql<string | null>`coalesce(c.uncovered_json, r.uncovered_json)`.as("uncovered_json"),
      // Only rows stored before 0018 have no ranges: only then is the line data read.
      sql<string | null>`case when coalesce(c.uncovered_json, r.uncovered_json) is null
        then coalesce(c.lines_json, r.lines_json) end`.as("lines_json"),
      "r.lines_covered",
      "r.lines_total",
      "r.branches_covered",
      "r.branches_total",
    ])
    .where("r.run_id", "=", runId)
    .orderBy("r.path")
    .limit(filter.limit + 1);
  if (filter.prefix) query = query.where("r.path", "like", `${filter.prefix.replace(/[%_]/g, "")}%`);
  if (filter.after) query = query.where("r.path", ">", filter.after);
  return query.execute();
}

export async function insertRunCoverage(db: Queryable, runId: string, rows: CoverageRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += COPY_BATCH) {
    const values = rows.slice(i, i + COPY_BATCH).map((r) => ({
      run_id: runId,
      path: r.path,
      lines_json: JSON.stringify(r.lines),
      branches_json: JSON.stringify(r.branches),
      lines_covered: r.linesCovered,
      lines_total: r.linesTotal,
      branches_covered: r.branchesCovered,
      branches_total: r.branchesTotal,
      uncovered_json: r.uncovered ? JSON.stringify(r.uncovered) : null,
    }));
    await db.insertInto("run_coverage").values(values).execute();
  }
}

export async function runCoverageTotals(db: Queryable, runId: string) {
  const row = await db
    .selectFrom("run_coverage")
    .select([
      (eb) => eb.fn.countAll<number>().as("files"),
      sql<number>`coalesce(sum(lines_covered), 0)`.as("linesCovered"),
      sql<number>`coalesce(sum(lines_total), 0)`.as("linesTotal"),
      sql<number>`coalesce(sum(branches_covered), 0)`.as("branchesCovered"),
      sql<number>`coalesce(sum(branches_total), 0)`.as("branchesTotal"),
    ])
    .where("run_id", "=", runId)
    .executeTakeFirstOrThrow();
  return {
    files: Number(row.files),
    linesCovered: Number(row.linesCovered),
    linesTotal: Number(row.linesTotal),
    branchesCovered: Number(row.branchesCovered),
    branchesTotal: Number(row.branchesTotal),
  };
}

/** Merged coverage of some paths of a run (the files a change touched, for patch coverage). */
export async function runCoverageOf(db: Queryable, runId: string, paths: string[]): Promise<CoverageRow[]> {
  if (paths.length === 0) return [];
  const rows = await runCoverageRows(db, runId).where("r.path", "in", paths).execute();
  return rows.map((r) => ({
    path: r.path,
    lines: JSON.parse(r.lines_json) as [number, number][],
    branches: JSON.parse(r.branches_json) as [number, number, number][],
    linesCovered: r.lines_covered,
    linesTotal: r.lines_total,
    branchesCovered: r.branches_covered,
    branchesTotal: r.branches_total,
  }));
}
