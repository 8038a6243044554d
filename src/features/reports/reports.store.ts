import type { Queryable, ReportRunsTable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { ReportSummary } from "../../shared/reports.api.ts";
import type { CoverageRow, ReportFileRecord, ReportRunRecord, RunPage, StoredFileSummary } from "./reports.types.ts";

const BATCH = 400;

function toRun(row: Omit<ReportRunsTable, "view_json"> & { slug: string }): ReportRunRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    projectSlug: row.slug,
    commitSha: row.commit_sha,
    branch: row.branch,
    kind: row.kind,
    baseSha: row.base_sha,
    ci: row.ci_json ? (JSON.parse(row.ci_json) as ReportRunRecord["ci"]) : null,
    diff: row.diff_json ? (JSON.parse(row.diff_json) as ReportRunRecord["diff"]) : null,
    status: row.status === "complete" ? "complete" : "open",
    summary: row.summary_json ? (JSON.parse(row.summary_json) as ReportSummary) : null,
    createdBy: row.created_by,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

/** Every column but `view_json` (the stored page, up to a few hundred KiB): lists never need it. */
const runs = (db: Queryable) =>
  db
    .selectFrom("report_runs as r")
    .innerJoin("projects as p", "p.id", "r.project_id")
    .select([
      "r.id",
      "r.project_id",
      "r.commit_sha",
      "r.branch",
      "r.kind",
      "r.base_sha",
      "r.ci_json",
      "r.diff_json",
      "r.status",
      "r.summary_json",
      "r.created_by",
      "r.created_at",
      "r.completed_at",
      "p.slug",
    ]);

export async function insertRun(db: Queryable, run: ReportRunRecord): Promise<void> {
  await db
    .insertInto("report_runs")
    .values({
      id: run.id,
      project_id: run.projectId,
      commit_sha: run.commitSha,
      branch: run.branch,
      kind: run.kind,
      base_sha: run.baseSha,
      ci_json: run.ci ? JSON.stringify(run.ci) : null,
      diff_json: run.diff ? JSON.stringify(run.diff) : null,
      status: run.status,
      summary_json: null,
      created_by: run.createdBy,
      created_at: run.createdAt,
      completed_at: null,
    })
    .execute();
}

export async function findRun(db: Queryable, id: string): Promise<ReportRunRecord | undefined> {
  const row = await runs(db).where("r.id", "=", id).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

/** Completed runs of a commit, newest first (optionally of one kind). */
export async function runsOfCommit(
  db: Queryable,
  projectId: string,
  commitSha: string,
  kind?: string,
): Promise<ReportRunRecord[]> {
  let query = runs(db)
    .where("r.project_id", "=", projectId)
    .where("r.commit_sha", "=", commitSha.toLowerCase())
    .where("r.status", "=", "complete");
  if (kind) query = query.where("r.kind", "=", kind);
  return (await query.orderBy("r.created_at", "desc").execute()).map(toRun);
}

export async function latestCompleted(
  db: Queryable,
  filter: { projectId: string; branch: string; kind: string; before?: string },
): Promise<ReportRunRecord | undefined> {
  let query = runs(db)
    .where("r.project_id", "=", filter.projectId)
    .where("r.branch", "=", filter.branch)
    .where("r.kind", "=", filter.kind)
    .where("r.status", "=", "complete");
  if (filter.before) query = query.where("r.created_at", "<", filter.before);
  const row = await query.orderBy("r.created_at", "desc").limit(1).executeTakeFirst();
  return row ? toRun(row) : undefined;
}

export async function listRuns(
  db: Queryable,
  filter: { projectId: string; branch?: string; kind?: string; commitSha?: string; limit: number; before?: Cursor },
): Promise<ReportRunRecord[]> {
  let query = runs(db)
    .where("r.project_id", "=", filter.projectId)
    .orderBy("r.created_at", "desc")
    .orderBy("r.id", "desc")
    .limit(filter.limit + 1);
  if (filter.branch) query = query.where("r.branch", "=", filter.branch);
  if (filter.kind) query = query.where("r.kind", "=", filter.kind);
  if (filter.commitSha) query = query.where("r.commit_sha", "=", filter.commitSha.toLowerCase());
  const before = filter.before;
  if (before) query = query.where((eb) => eb(eb.refTuple("r.created_at", "r.id"), "<", eb.tuple(before.at, before.id)));
  return (await query.execute()).map(toRun);
}

export async function completeRun(
  db: Queryable,
  id: string,
  done: { summary: ReportSummary; page: RunPage; at: string },
): Promise<void> {
  await db
    .updateTable("report_runs")
    .set({
      status: "complete",
      summary_json: JSON.stringify(done.summary),
      view_json: storedPage(done.page),
      completed_at: done.at,
    })
    .where("id", "=", id)
    .execute();
}

/**
 * Stored pages start with their layout, so a page stored by an older version (whole stacks, no case ids) is recomputed on
 * its first view instead of being sent as it is. Readers splice the text after this prefix into the response.
 */
export const PAGE_PREFIX = '{"layout":2,';
const storedPage = (page: RunPage): string => `${PAGE_PREFIX}${JSON.stringify(page).slice(1)}`;

/** The stored page as its JSON text (the run page sends it on without parsing it again), or null. */
export async function runPageJson(db: Queryable, id: string): Promise<string | null> {
  const row = await db.selectFrom("report_runs").select("view_json").where("id", "=", id).executeTakeFirst();
  return row?.view_json ?? null;
}

export async function saveRunPage(db: Queryable, id: string, page: RunPage): Promise<void> {
  await db
    .updateTable("report_runs")
    .set({ view_json: storedPage(page) })
    .where("id", "=", id)
    .execute();
}

export async function insertFile(
  db: Queryable,
  file: { id: string; runId: string; name: string; format: string; at: string },
): Promise<void> {
  await db
    .insertInto("report_files")
    .values({
      id: file.id,
      run_id: file.runId,
      name: file.name,
      format: file.format,
      status: "uploading",
      bytes: 0,
      summary_json: null,
      created_at: file.at,
    })
    .execute();
}

/** Makes an uploaded file visible and retires the earlier file of the same name, in the caller's transaction. */
export async function publishFile(
  db: Queryable,
  file: { id: string; runId: string; name: string; bytes: number; summary: StoredFileSummary },
): Promise<void> {
  await db
    .deleteFrom("report_files")
    .where("run_id", "=", file.runId)
    .where("name", "=", file.name)
    .where("status", "=", "stored")
    .execute();
  await db
    .updateTable("report_files")
    .set({ status: "stored", bytes: file.bytes, summary_json: JSON.stringify(file.summary) })
    .where("id", "=", file.id)
    .execute();
}

export async function deleteFile(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom("report_files").where("id", "=", id).execute();
}

export async function listFiles(db: Queryable, runId: string): Promise<ReportFileRecord[]> {
  const rows = await db
    .selectFrom("report_files")
    .selectAll()
    .where("run_id", "=", runId)
    .where("status", "=", "stored")
    .orderBy("name")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    runId: row.run_id,
    name: row.name,
    format: row.format,
    bytes: row.bytes,
    summary: row.summary_json
      ? (JSON.parse(row.summary_json) as StoredFileSummary)
      : { cases: 0, coverageFiles: 0, warnings: [] },
  }));
}

function coverageValues(r: CoverageRow) {
  return {
    path: r.path,
    lines_json: JSON.stringify(r.lines),
    branches_json: JSON.stringify(r.branches),
    lines_covered: r.linesCovered,
    lines_total: r.linesTotal,
    branches_covered: r.branchesCovered,
    branches_total: r.branchesTotal,
    uncovered_json: r.uncovered ? JSON.stringify(r.uncovered) : null,
  };
}

export async function insertCoverage(
  db: Queryable,
  fileId: string,
  runId: string,
  rows: CoverageRow[],
  firstSeq: number,
): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    const values = rows
      .slice(i, i + BATCH)
      .map((r, j) => ({ file_id: fileId, seq: firstSeq + i + j, run_id: runId, ...coverageValues(r) }));
    await db.insertInto("coverage_files").values(values).execute();
  }
}

export async function keysWithStatus(
  db: Queryable,
  runIds: string[],
  statuses: string[],
): Promise<{ test_key: string; name: string; classname: string | null; status: string }[]> {
  if (runIds.length === 0) return [];
  return db
    .selectFrom("test_cases")
    .select(["test_key", "name", "classname", "status"])
    .where("run_id", "in", runIds)
    .where("status", "in", statuses)
    .where(
      "file_id",
      "in",
      db.selectFrom("report_files").select("id").where("run_id", "in", runIds).where("status", "=", "stored"),
    )
    .execute();
}

/**
 * The last outcomes of one test in a project's completed runs (optionally of one branch), newest first: the project's
 * runs newest first, each probed for the key in `test_case_keys` (its primary key), until `limit` outcomes are found.
 */
export async function testHistory(db: Queryable, filter: { projectId: string; testKey: string; branch?: string; limit: number }) {
  let query = db
    .selectFrom("report_runs as r")
    .innerJoin("test_case_keys as k", (join) => join.onRef("k.run_id", "=", "r.id").on("k.test_key", "=", filter.testKey))
    .innerJoin("report_files as f", "f.id", "k.file_id")
    .innerJoin("test_cases as c", (join) => join.onRef("c.file_id", "=", "k.file_id").onRef("c.seq", "=", "k.seq"))
    .select([
      "r.id as run_id",
      "r.commit_sha",
      "r.branch",
      "r.kind",
      "r.created_at",
      "c.status",
      "c.duration_ms",
      "c.name",
      "c.classname",
    ])
    .where("r.project_id", "=", filter.projectId)
    .where("r.status", "=", "complete")
    .where("f.status", "=", "stored")
    .orderBy("r.created_at", "desc")
    .orderBy("r.id", "desc")
    .limit(filter.limit);
  if (filter.branch) query = query.where("r.branch", "=", filter.branch);
  return query.execute();
}
