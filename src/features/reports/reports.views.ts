import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import { toPage } from "../../shared/pagination.ts";
import type { TestCounts, TestHistory } from "../../shared/reports.api.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReportsService } from "./reports.service.ts";
import * as store from "./reports.store.ts";
import type { ReportRunRecord } from "./reports.types.ts";
import { FAILED } from "./reports.types.ts";
import { label } from "./run-page.ts";

export interface CommitKindVerdict {
  kind: string;
  runs: string[];
  tests: TestCounts;
  /** Tests that failed and never passed on this commit. */
  failing: string[];
  /** Tests that both failed and passed on this commit (retries, shards, reruns) or that the tool marked flaky. */
  flaky: string[];
  coverage: { lines: number | null; branches: number | null; runId: string } | null;
  patchCoverage: { pct: number | null; runId: string } | null;
}

/** Project-wide views: runs, a commit's verdict per kind (what gates judge), flaky tests, trends. */
export function createReportViews(deps: { db: Kysely<Database>; projects: ProjectsService; reports: ReportsService }) {
  const { db, projects, reports } = deps;

  async function list(
    slug: string,
    filter: { branch?: string; kind?: string; commitSha?: string; limit: number; cursor: Cursor | undefined },
  ) {
    const project = await projects.record(slug);
    const rows = await store.listRuns(db, { projectId: project.id, ...filter, before: filter.cursor });
    const page = toPage(rows, filter.limit, (r) => ({ at: r.createdAt, id: r.id }));
    return { items: await Promise.all(page.items.map(reports.present)), nextCursor: page.nextCursor };
  }

  /** Everything known about a commit's tests of one kind, merged over its completed runs. */
  async function verdict(runsOfKind: ReportRunRecord[], kind: string): Promise<CommitKindVerdict> {
    const ids = runsOfKind.map((r) => r.id);
    const outcomes = await store.keysWithStatus(db, ids, ["passed", "flaky", "skipped", ...FAILED]);
    const byKey = new Map<string, { name: string; statuses: Set<string> }>();
    for (const o of outcomes) {
      const entry = byKey.get(o.test_key) ?? { name: label(o), statuses: new Set<string>() };
      entry.statuses.add(o.status);
      byKey.set(o.test_key, entry);
    }
    const failing: string[] = [];
    const flaky: string[] = [];
    const tests: TestCounts = { total: byKey.size, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 };
    for (const { name, statuses } of byKey.values()) {
      const failed = statuses.has("failed") || statuses.has("errored");
      if (statuses.has("flaky") || (failed && statuses.has("passed"))) {
        tests.flaky++;
        flaky.push(name);
      } else if (failed) {
        if (statuses.has("failed")) tests.failed++;
        else tests.errored++;
        failing.push(name);
      } else if (statuses.has("passed")) tests.passed++;
      else tests.skipped++;
    }
    const withCoverage = runsOfKind.find((r) => r.summary?.coverage);
    const withPatch = runsOfKind.find((r) => r.summary?.patchCoverage);
    return {
      kind,
      runs: ids,
      tests,
      failing,
      flaky,
      coverage: withCoverage?.summary?.coverage
        ? {
            lines: withCoverage.summary.coverage.lines.pct,
            branches: withCoverage.summary.coverage.branches?.pct ?? null,
            runId: withCoverage.id,
          }
        : null,
      patchCoverage: withPatch?.summary?.patchCoverage ? { pct: withPatch.summary.patchCoverage.pct, runId: withPatch.id } : null,
    };
  }

  async function commit(projectId: string, commitSha: string): Promise<CommitKindVerdict[]> {
    const runs = await store.runsOfCommit(db, projectId, commitSha);
    const kinds = [...new Set(runs.map((r) => r.kind))].sort();
    return Promise.all(
      kinds.map((kind) =>
        verdict(
          runs.filter((r) => r.kind === kind),
          kind,
        ),
      ),
    );
  }

  async function commitReport(slug: string, commitSha: string) {
    const project = await projects.record(slug);
    const runs = await store.listRuns(db, { projectId: project.id, commitSha, limit: 200 });
    return {
      commitSha: commitSha.toLowerCase(),
      runs: await Promise.all(runs.map(reports.present)),
      kinds: await commit(project.id, commitSha),
    };
  }

  /** Tests that were flaky on some commit of the branch among its last `runs` completed runs, flakiest first. */
  async function flakyTests(slug: string, filter: { branch?: string; runs: number; limit: number }) {
    const project = await projects.record(slug);
    const recent = (
      await store.listRuns(db, { projectId: project.id, ...(filter.branch ? { branch: filter.branch } : {}), limit: filter.runs })
    ).filter((r) => r.status === "complete");
    const byCommit = new Map<string, ReportRunRecord[]>();
    for (const run of recent)
      byCommit.set(`${run.commitSha} ${run.kind}`, [...(byCommit.get(`${run.commitSha} ${run.kind}`) ?? []), run]);
    const counts = new Map<string, { name: string; commits: number; lastSeen: string }>();
    for (const [key, runs] of byCommit) {
      const v = await verdict(runs, key.split(" ")[1] ?? "");
      for (const name of v.flaky) {
        const seen = counts.get(name) ?? { name, commits: 0, lastSeen: runs[0]?.createdAt ?? "" };
        seen.commits++;
        counts.set(name, seen);
      }
    }
    return {
      items: [...counts.values()].sort((a, b) => b.commits - a.commits || a.name.localeCompare(b.name)).slice(0, filter.limit),
    };
  }

  /** Pass rate, duration, coverage and test count of the last `limit` completed runs of a branch and kind, oldest first. */
  async function trends(slug: string, filter: { branch: string; kind: string; limit: number }) {
    const project = await projects.record(slug);
    const runs = (
      await store.listRuns(db, { projectId: project.id, branch: filter.branch, kind: filter.kind, limit: filter.limit * 2 })
    )
      .filter((r) => r.status === "complete" && r.summary)
      .slice(0, filter.limit)
      .reverse();
    return {
      items: runs.map((r) => {
        const t = r.summary?.tests;
        const judged = t ? t.total - t.skipped : 0;
        return {
          runId: r.id,
          commitSha: r.commitSha,
          at: r.completedAt ?? r.createdAt,
          tests: t?.total ?? 0,
          passRate: t && judged > 0 ? Math.round(((t.passed + t.flaky) / judged) * 10_000) / 100 : null,
          durationMs: r.summary?.durationMs ?? 0,
          lineCoverage: r.summary?.coverage?.lines.pct ?? null,
        };
      }),
    };
  }

  async function history(slug: string, filter: { testKey: string; branch?: string; limit: number }): Promise<TestHistory> {
    const project = await projects.record(slug);
    const rows = await store.testHistory(db, { projectId: project.id, ...filter });
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
    const first = rows[0];
    return {
      key: filter.testKey,
      name: first ? label(first) : null,
      items: rows.map((r) => ({
        runId: r.run_id,
        commitSha: r.commit_sha,
        branch: r.branch,
        kind: r.kind,
        status: r.status,
        durationMs: r.duration_ms,
        at: r.created_at,
      })),
      counts,
    };
  }

  return { list, commit, commitReport, flakyTests, trends, history };
}

export type ReportViews = ReturnType<typeof createReportViews>;
