import type { Kysely } from "kysely";
import type { Database, TestCasesTable } from "../../db/schema.ts";
import type { Comparison, CoverageEntry, ReportRunDetail, TestCase } from "../../shared/reports.api.ts";
import { uncoveredRanges } from "./parsers/coverage/paths.ts";
import { ratio } from "./reports.complete.ts";
import type { ReportsService } from "./reports.service.ts";
import { flakyKeys } from "./reports.service.ts";
import * as store from "./reports.store.ts";
import type { ReportRunRecord } from "./reports.types.ts";

export const FAILED = ["failed", "errored"];

export function presentCase(row: TestCasesTable): TestCase {
  return {
    key: row.test_key,
    suite: row.suite,
    classname: row.classname,
    name: row.name,
    file: row.file,
    durationMs: row.duration_ms,
    status: row.status,
    message: row.message,
    stack: row.stack,
    reruns: row.reruns,
  };
}

/** How a test is named in lists and notifications: `class › name`. */
export const label = (c: { classname: string | null; name: string }) => (c.classname ? `${c.classname} › ${c.name}` : c.name);

/** Read views of reports: a run's page, its tests and coverage, comparisons with a base run. */
export function createReportQueries(deps: { db: Kysely<Database>; reports: ReportsService; defaultBranch: string }) {
  const { db, reports } = deps;

  /** The base to compare with: the `--base` commit's run of the same kind, else the latest completed run on main. */
  async function baseOf(run: ReportRunRecord): Promise<ReportRunRecord | undefined> {
    if (run.baseSha) {
      const [base] = await store.runsOfCommit(db, run.projectId, run.baseSha, run.kind);
      if (base) return base;
    }
    const latest = await store.latestCompleted(db, {
      projectId: run.projectId,
      branch: deps.defaultBranch,
      kind: run.kind,
      before: run.createdAt,
    });
    return latest && latest.commitSha !== run.commitSha ? latest : undefined;
  }

  async function compare(run: ReportRunRecord): Promise<Comparison | null> {
    if (run.status !== "complete") return null;
    const base = await baseOf(run);
    if (!base) return { base: null, newFailures: [], fixed: [], added: 0, removed: 0, coverageDelta: null };
    const now = await store.keysWithStatus(db, [run.id], ["passed", ...FAILED]);
    const then = await store.keysWithStatus(db, [base.id], ["passed", ...FAILED]);
    const failingNow = new Map(now.filter((c) => FAILED.includes(c.status)).map((c) => [c.test_key, label(c)]));
    const failingThen = new Map(then.filter((c) => FAILED.includes(c.status)).map((c) => [c.test_key, label(c)]));
    const passingNow = new Set(now.filter((c) => c.status === "passed").map((c) => c.test_key));
    const nowPct = run.summary?.coverage?.lines.pct;
    const thenPct = base.summary?.coverage?.lines.pct;
    return {
      base: { runId: base.id, commitSha: base.commitSha, branch: base.branch },
      newFailures: [...failingNow]
        .filter(([key]) => !failingThen.has(key))
        .map(([, name]) => name)
        .slice(0, 200),
      fixed: [...failingThen]
        .filter(([key]) => passingNow.has(key) && !failingNow.has(key))
        .map(([, name]) => name)
        .slice(0, 200),
      added: await store.countKeysMissingFrom(db, run.id, base.id),
      removed: await store.countKeysMissingFrom(db, base.id, run.id),
      coverageDelta: nowPct != null && thenPct != null ? Math.round((nowPct - thenPct) * 100) / 100 : null,
    };
  }

  async function detail(id: string): Promise<ReportRunDetail> {
    const run = await reports.record(id);
    const failures = await store.listCases(db, { runIds: [run.id], statuses: FAILED, order: "name", limit: 50 });
    const slowest = await store.listCases(db, { runIds: [run.id], order: "slowest", limit: 10 });
    const outcomes = await store.keysWithStatus(db, [run.id], ["passed", "failed", "errored"]);
    const duplicated = flakyKeys(outcomes);
    const flaky = await store.listCases(db, { runIds: [run.id], statuses: ["flaky"], order: "name", limit: 100 });
    const crossFile = duplicated.size
      ? (await store.listCases(db, { runIds: [run.id], statuses: FAILED, order: "name", limit: 1000 })).filter((c) =>
          duplicated.has(c.test_key),
        )
      : [];
    return {
      ...(await reports.present(run)),
      failures: failures.filter((c) => !duplicated.has(c.test_key)).map(presentCase),
      flaky: [...flaky, ...crossFile].map(presentCase),
      slowest: slowest.map(presentCase),
      comparison: await compare(run),
    };
  }

  async function tests(id: string, filter: { status?: string; q?: string; limit: number; offset: number }) {
    const run = await reports.record(id);
    const rows = await store.listCases(db, {
      runIds: [run.id],
      ...(filter.status ? { statuses: [filter.status] } : {}),
      ...(filter.q ? { search: filter.q } : {}),
      order: "name",
      limit: filter.limit + 1,
      offset: filter.offset,
    });
    return {
      items: rows.slice(0, filter.limit).map(presentCase),
      nextCursor: rows.length > filter.limit ? String(filter.offset + filter.limit) : null,
    };
  }

  async function coverage(id: string, filter: { path?: string; limit: number; after?: string }) {
    const run = await reports.record(id);
    const rows = await store.listRunCoverage(db, run.id, {
      limit: filter.limit,
      ...(filter.path ? { prefix: filter.path } : {}),
      ...(filter.after ? { after: filter.after } : {}),
    });
    const items = rows.slice(0, filter.limit).map(
      (row): CoverageEntry => ({
        path: row.path,
        lines: ratio(row.lines_covered, row.lines_total),
        branches: ratio(row.branches_covered, row.branches_total),
        uncovered: uncoveredRanges(new Map(JSON.parse(row.lines_json) as [number, number][])),
      }),
    );
    return { items, nextCursor: rows.length > filter.limit ? (items.at(-1)?.path ?? null) : null };
  }

  return { detail, tests, coverage, compare, baseOf, record: reports.record };
}

export type ReportQueries = ReturnType<typeof createReportQueries>;
