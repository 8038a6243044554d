import { useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useReportRun, useReportTests, useTestCase, useTrends } from "../api/hooks.ts";
import type { ReportRunDetail, TestCase } from "../api/types.ts";
import { Chart } from "../components/Chart.tsx";
import { Sha } from "../components/Sha.tsx";
import { Empty, Loading, Query } from "../components/States.tsx";
import { Status, StatusChip } from "../components/Status.tsx";
import { Duration, number, percent, RelTime } from "../components/Time.tsx";
import { Coverage } from "./ReportCoverage.tsx";

const TABS = [
  ["failures", "Failures"],
  ["flaky", "Flaky"],
  ["slowest", "Slowest"],
  ["tests", "All tests"],
  ["coverage", "Coverage"],
  ["trends", "Trends"],
] as const;
type Tab = (typeof TABS)[number][0];

export default function ReportRunPage() {
  const { id = "" } = useParams();
  const run = useReportRun(id);
  useEffect(() => {
    const r = run.data;
    document.title = r ? `${r.kind} report ${r.commitSha.slice(0, 8)} · stagegate` : "Report · stagegate";
  }, [run.data]);
  return (
    <Query query={run} label="Loading the report">
      {(r) => <Report r={r} />}
    </Query>
  );
}

function Report({ r }: { r: ReportRunDetail }) {
  const [params, setParams] = useSearchParams();
  const tab = (params.get("tab") as Tab | null) ?? "failures";
  const s = r.summary;
  const failed = (s?.tests.failed ?? 0) + (s?.tests.errored ?? 0);
  const select = (next: Tab) => {
    const p = new URLSearchParams(params);
    p.set("tab", next);
    setParams(p, { replace: true });
  };
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link to={`/p/${r.project}`}>{r.project}</Link>/<Link to={`/p/${r.project}/reports`}>reports</Link>/
        <span className="mono">{r.id}</span>
      </nav>
      <div className="page-head">
        <div className="title">
          <h1>
            <span>{r.kind} tests</span>
            {r.status === "open" ? <Status status="open" /> : <Status status={failed > 0 ? "failed" : "passed"} />}
          </h1>
          <div className="meta">
            <span>
              commit <Sha sha={r.commitSha} />
            </span>
            <span>
              branch <code>{r.branch}</code>
            </span>
            <span>
              uploaded <RelTime at={r.createdAt} />
            </span>
            {r.ci?.url ? (
              <a href={r.ci.url} target="_blank" rel="noreferrer">
                CI job{r.ci.job ? ` ${r.ci.job}` : ""} ↗
              </a>
            ) : null}
          </div>
        </div>
      </div>
      {s ? (
        <section className="grid tiles" aria-label="Summary">
          <div className="card tile">
            <div className="label">Tests</div>
            <div className="value">{number(s.tests.total)}</div>
            <div className="chips">
              <StatusChip status="passed">{number(s.tests.passed)}</StatusChip>
              <StatusChip status="failed">{number(failed)}</StatusChip>
              <StatusChip status="skipped">{number(s.tests.skipped)}</StatusChip>
              {s.tests.flaky ? <StatusChip status="flaky">{number(s.tests.flaky)}</StatusChip> : null}
            </div>
          </div>
          <div className="card tile">
            <div className="label">Duration</div>
            <div className="value">
              <Duration ms={s.durationMs} />
            </div>
          </div>
          <div className="card tile">
            <div className="label">Line coverage</div>
            <div className="value">{percent(s.coverage?.lines.pct)}</div>
            <div className="sub">
              {s.coverage
                ? `${number(s.coverage.lines.covered)} of ${number(s.coverage.lines.total)} lines · ${number(s.coverage.files)} files`
                : "no coverage uploaded"}
              {r.comparison?.coverageDelta !== null && r.comparison?.coverageDelta !== undefined
                ? ` · ${r.comparison.coverageDelta >= 0 ? "+" : ""}${r.comparison.coverageDelta.toFixed(2)} pts vs base`
                : ""}
            </div>
          </div>
          <div className="card tile">
            <div className="label">Patch coverage</div>
            <div className="value">{percent(s.patchCoverage?.pct)}</div>
            <div className="sub">
              {s.patchCoverage
                ? `${number(s.patchCoverage.covered)} of ${number(s.patchCoverage.total)} changed lines`
                : "no diff sent"}
            </div>
          </div>
        </section>
      ) : (
        <div className="banner info">This run is still open: CI is uploading its files.</div>
      )}
      {r.comparison?.base ? (
        <p className="muted" style={{ marginTop: 12 }}>
          Compared with {r.comparison.base.branch} <code>{r.comparison.base.commitSha.slice(0, 8)}</code>:{" "}
          <span className={r.comparison.newFailures.length ? "status bad" : ""}>
            {r.comparison.newFailures.length} new failure(s)
          </span>
          , {r.comparison.fixed.length} fixed, {r.comparison.added} tests added, {r.comparison.removed} removed.
        </p>
      ) : null}
      <div className="tabs section" role="tablist" aria-label="Report sections">
        {TABS.map(([key, label]) => (
          <button key={key} type="button" role="tab" aria-selected={tab === key} onClick={() => select(key)}>
            {label}
            {key === "failures" && failed ? <span className="badge">{failed}</span> : null}
            {key === "flaky" && r.flaky.length ? <span className="badge">{r.flaky.length}</span> : null}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={TABS.find(([k]) => k === tab)?.[1]}>
        {tab === "failures" ? (
          r.failures.length === 0 ? (
            <Empty title="No failures">
              <p>Every test passed or was skipped in this run.</p>
            </Empty>
          ) : (
            <>
              <TestList runId={r.id} tests={r.failures} open />
              {failed > r.failures.length ? (
                <p className="muted">
                  Showing the first {r.failures.length} of {number(failed)} failures.{" "}
                  <Link to={`?tab=tests&status=failed`}>See every failed test →</Link>
                </p>
              ) : null}
            </>
          )
        ) : null}
        {tab === "flaky" ? (
          r.flaky.length === 0 ? (
            <Empty title="No flaky tests">
              <p>No test needed a rerun to pass in this run.</p>
            </Empty>
          ) : (
            <TestList runId={r.id} tests={r.flaky} />
          )
        ) : null}
        {tab === "slowest" ? <TestList runId={r.id} tests={r.slowest} /> : null}
        {tab === "tests" ? <AllTests id={r.id} initialStatus={params.get("status") ?? ""} /> : null}
        {tab === "coverage" ? <Coverage id={r.id} /> : null}
        {tab === "trends" ? <Trends slug={r.project} branch={r.branch} kind={r.kind} /> : null}
      </div>
    </>
  );
}

function TestList({ runId, tests, open = false }: { runId: string; tests: TestCase[]; open?: boolean }) {
  return (
    <div className="card" style={{ paddingTop: 4, paddingBottom: 4 }}>
      {tests.map((t) => (
        <details key={t.id ?? t.key} className="test" open={open && Boolean(t.message || t.stack)}>
          <summary>
            <Status status={t.reruns > 0 && t.status === "passed" ? "flaky" : t.status} />
            <strong style={{ overflowWrap: "anywhere" }}>{t.name}</strong>
            <span className="muted" style={{ overflowWrap: "anywhere" }}>
              {t.classname ?? t.suite}
            </span>
            <span className="spacer" style={{ flex: 1 }} />
            <Duration ms={t.durationMs} />
          </summary>
          <CaseText runId={runId} test={t} />
        </details>
      ))}
    </div>
  );
}

/** A case's message and stack as the list gives them (first lines), and the whole text with its output on request. */
function CaseText({ runId, test }: { runId: string; test: TestCase }) {
  const [whole, setWhole] = useState(false);
  const full = useTestCase(runId, test.id, whole);
  const t = full.data ?? test;
  return (
    <>
      {t.message ? (
        <p className="error-text" style={{ marginTop: 8, overflowWrap: "anywhere" }}>
          {t.message}
        </p>
      ) : null}
      {t.stack ? <pre>{t.stack}</pre> : null}
      {full.data?.systemOut ? (
        <>
          <h3>Output</h3>
          <pre>{full.data.systemOut}</pre>
        </>
      ) : null}
      {full.data?.systemErr ? (
        <>
          <h3>Error output</h3>
          <pre>{full.data.systemErr}</pre>
        </>
      ) : null}
      {test.truncated && test.id && !full.data ? (
        <button type="button" className="ghost small" onClick={() => setWhole(true)} disabled={full.isFetching}>
          {full.isFetching ? "Loading…" : "Show the whole stack and output"}
        </button>
      ) : null}
      {full.isError ? <p className="error-text">Could not load the whole test case: {full.error.message}</p> : null}
      {t.file ? <p className="muted mono">{t.file}</p> : null}
    </>
  );
}

function AllTests({ id, initialStatus }: { id: string; initialStatus: string }) {
  const [status, setStatus] = useState(initialStatus);
  const [q, setQ] = useState("");
  const [cursor, setCursor] = useState<string | undefined>();
  const tests = useReportTests(id, { status: status || undefined, q: q || undefined, cursor } as {
    status?: string;
    q?: string;
    cursor?: string;
  });
  return (
    <>
      <div className="toolbar">
        <label htmlFor="test-status">Status</label>
        <select
          id="test-status"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value);
            setCursor(undefined);
          }}
        >
          <option value="">All</option>
          {["failed", "errored", "flaky", "skipped", "passed"].map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label htmlFor="test-q" className="sr-only">
          Search tests
        </label>
        <input
          id="test-q"
          type="search"
          placeholder="Search test names"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setCursor(undefined);
          }}
          style={{ flex: "1 1 200px" }}
        />
      </div>
      <Query query={tests} label="Loading tests">
        {(page) =>
          page.items.length === 0 ? (
            <Empty title="No test matches" />
          ) : (
            <>
              <TestList runId={id} tests={page.items} />
              <div className="pager">
                {cursor ? (
                  <button type="button" onClick={() => setCursor(undefined)}>
                    First page
                  </button>
                ) : null}
                {page.nextCursor ? (
                  <button type="button" onClick={() => setCursor(page.nextCursor ?? undefined)}>
                    Next page →
                  </button>
                ) : null}
              </div>
            </>
          )
        }
      </Query>
    </>
  );
}

function Trends({ slug, branch, kind }: { slug: string; branch: string; kind: string }) {
  const trends = useTrends(slug, branch, kind);
  const data = useMemo(() => {
    const items = [...(trends.data?.items ?? [])].sort((a, b) => a.at.localeCompare(b.at));
    return {
      x: items.map((p) => Date.parse(p.at) / 1000),
      pass: [{ label: "pass rate", values: items.map((p) => p.passRate), tone: "ok" as const }],
      duration: [{ label: "duration", values: items.map((p) => p.durationMs / 1000), tone: "info" as const }],
      coverage: [{ label: "line coverage", values: items.map((p) => p.lineCoverage), tone: "attention" as const }],
      count: items.length,
    };
  }, [trends.data]);
  if (trends.isPending) return <Loading label="Loading trends" />;
  if (data.count < 2) {
    return (
      <Empty title="Not enough runs for a trend yet">
        <p>
          Trends appear once {branch} has two or more {kind} runs.
        </p>
      </Empty>
    );
  }
  return (
    <div className="grid tiles">
      <div className="card">
        <Chart title={`Pass rate on ${branch}`} unit="%" x={data.x} series={data.pass} />
      </div>
      <div className="card">
        <Chart title={`Duration on ${branch}`} unit="s" x={data.x} series={data.duration} />
      </div>
      <div className="card">
        <Chart title={`Line coverage on ${branch}`} unit="%" x={data.x} series={data.coverage} />
      </div>
    </div>
  );
}
