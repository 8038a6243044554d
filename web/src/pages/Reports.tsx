import { useEffect } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useReportRuns } from "../api/hooks.ts";
import type { ReportRun } from "../api/types.ts";
import { DataTable } from "../components/DataTable.tsx";
import { useCursor } from "../components/Pager.tsx";
import { Empty, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { Duration, number, percent, RelTime } from "../components/Time.tsx";

export default function Reports() {
  const { slug = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const cursor = useCursor();
  const branch = params.get("branch") ?? "";
  const kind = params.get("kind") ?? "";
  const commit = params.get("commit") ?? "";
  const runs = useReportRuns(slug, {
    cursor,
    ...(branch ? { branch } : {}),
    ...(kind ? { kind } : {}),
    ...(commit ? { commit } : {}),
  });
  useEffect(() => {
    document.title = `Reports · ${slug} · stagegate`;
  }, [slug]);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Test reports</h1>
          <div className="meta">JUnit and coverage uploads from CI, newest first.</div>
        </div>
      </div>
      <form
        className="toolbar"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const next = new URLSearchParams();
          for (const key of ["branch", "kind", "commit"]) {
            const value = String(data.get(key) ?? "").trim();
            if (value) next.set(key, value);
          }
          setParams(next);
        }}
      >
        <label htmlFor="r-branch">Branch</label>
        <input id="r-branch" name="branch" defaultValue={branch} placeholder="main" style={{ width: 120 }} />
        <label htmlFor="r-kind">Kind</label>
        <input id="r-kind" name="kind" defaultValue={kind} placeholder="unit" style={{ width: 110 }} />
        <label htmlFor="r-commit">Commit</label>
        <input id="r-commit" name="commit" defaultValue={commit} placeholder="sha" style={{ width: 120 }} />
        <button type="submit">Filter</button>
      </form>
      <Query query={runs} label="Loading reports">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title="No reports yet">
                <p>Upload JUnit XML and coverage from CI after your tests ran:</p>
                <pre>{`stagegate report upload --project ${slug} --commit $GIT_SHA --branch $GIT_BRANCH \\\n  --kind unit reports/junit.xml coverage/lcov.info`}</pre>
              </Empty>
            </div>
          ) : (
            <DataTable
              label="Report runs"
              rows={page.items}
              rowKey={(r) => r.id}
              pages={{ nextCursor: page.nextCursor, label: "reports" }}
              columns={[
                {
                  header: "Result",
                  cell: (r) => (
                    <Link to={`/reports/${r.id}`} aria-label={`${r.kind} report of ${r.commitSha.slice(0, 8)}`}>
                      <Status status={r.status === "open" ? "open" : failedOf(r) > 0 ? "failed" : "passed"} />
                    </Link>
                  ),
                },
                { header: "Kind", cell: (r) => r.kind },
                {
                  header: "Commit",
                  cell: (r) => (
                    <>
                      <code>{r.commitSha.slice(0, 8)}</code> <span className="muted">{r.branch}</span>
                    </>
                  ),
                },
                { header: "Tests", num: true, cell: (r) => (r.summary ? number(r.summary.tests.total) : "—") },
                { header: "Failed", num: true, cell: (r) => (r.summary ? number(failedOf(r)) : "—") },
                { header: "Coverage", num: true, hideNarrow: true, cell: (r) => percent(r.summary?.coverage?.lines.pct) },
                { header: "Duration", num: true, hideNarrow: true, cell: (r) => <Duration ms={r.summary?.durationMs} /> },
                { header: "When", cell: (r) => <RelTime at={r.createdAt} /> },
              ]}
            />
          )
        }
      </Query>
    </>
  );
}

function failedOf(run: ReportRun): number {
  const t = run.summary?.tests;
  return t ? t.failed + t.errored : 0;
}
