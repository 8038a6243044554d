import { lazy, Suspense, useEffect } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { type RunSummary, useRunSummary } from "../api/runs.ts";
import { RunStatus, Severity } from "../components/RunStatus.tsx";
import { Loading, Query } from "../components/States.tsx";
import { Duration, RelTime } from "../components/Time.tsx";
import { RunOverview } from "./RunOverview.tsx";

// Charts (uPlot), the log viewer and the Spark tab load when their tab opens.
const RunLogs = lazy(() => import("./RunLogs.tsx"));
const RunMetrics = lazy(() => import("./RunMetrics.tsx"));
const SparkTab = lazy(() => import("./SparkTab.tsx"));

const TABS = [
  ["overview", "Overview"],
  ["logs", "Logs"],
  ["metrics", "Metrics"],
  ["spark", "Spark"],
] as const;
type Tab = (typeof TABS)[number][0];

export default function RunPage() {
  const { id = "" } = useParams();
  const summary = useRunSummary(id);
  useEffect(() => {
    const r = summary.data?.run;
    document.title = r ? `${r.name} (${r.status}) · runs · stagegate` : "Run · stagegate";
  }, [summary.data]);
  return (
    <Query query={summary} label="Loading the run">
      {(s) => <Body s={s} />}
    </Query>
  );
}

function Body({ s }: { s: RunSummary }) {
  const r = s.run;
  const [params, setParams] = useSearchParams();
  const tab = (TABS.find(([key]) => key === params.get("tab"))?.[0] ?? "overview") as Tab;
  const select = (next: Tab) => {
    const p = new URLSearchParams(params);
    if (next === "overview") p.delete("tab");
    else p.set("tab", next);
    setParams(p, { replace: true });
  };
  const firing = s.alerts.filter((a) => a.state === "firing");
  const live = r.status === "running";

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link to={`/p/${r.project}`}>{r.project}</Link>/<Link to={`/p/${r.project}/runs`}>runs</Link>/
        <span className="mono">{r.id}</span>
      </nav>
      <div className="page-head">
        <div className="title">
          <h1 style={{ overflowWrap: "anywhere" }}>
            <RunStatus status={r.status} />
            <span>{r.name}</span>
          </h1>
          <div className="meta">
            <span>
              ran <Duration ms={r.durationMs} />
              {live ? " so far" : ""}
            </span>
            <span>
              environment <strong>{r.environment ?? "none"}</strong>
            </span>
            {r.releaseVersion ? (
              <span>
                release{" "}
                <Link className="mono" to={`/p/${r.project}/releases/${encodeURIComponent(r.releaseVersion)}`}>
                  {r.releaseVersion}
                </Link>
              </span>
            ) : null}
            {r.deploymentId ? (
              <span>
                <Link to={`/deployments/${r.deploymentId}`}>deployment</Link>
              </span>
            ) : null}
            <span>
              started <RelTime at={r.createdAt} />
              {r.createdBy ? ` by ${r.createdBy}` : ""}
            </span>
            <span>
              {s.nodes.length} node{s.nodes.length === 1 ? "" : "s"} · {s.records.toLocaleString("en-US")} records
            </span>
          </div>
        </div>
      </div>
      {firing.length > 0 ? (
        <div className="banner bad" role="alert">
          <Severity severity={firing.some((a) => a.severity === "critical") ? "critical" : "warning"} />
          <span>
            {firing.length} alert{firing.length === 1 ? "" : "s"} firing: {firing.map((a) => a.rule).join(", ")}
          </span>
        </div>
      ) : null}
      {s.findings.critical > 0 ? (
        <div className="banner bad">
          <Severity severity="critical" />
          <span>
            {s.findings.critical} critical Spark finding{s.findings.critical === 1 ? "" : "s"}: {s.findings.top[0]?.title}
          </span>
          <button type="button" className="small" onClick={() => select("spark")}>
            Open the Spark tab
          </button>
        </div>
      ) : null}
      <div className="tabs section" role="tablist" aria-label="Run sections">
        {TABS.map(([key, label]) => (
          <button key={key} type="button" role="tab" aria-selected={tab === key} onClick={() => select(key)}>
            {label}
            {key === "overview" && firing.length ? <span className="badge">{firing.length}</span> : null}
            {key === "spark" && s.findings.critical + s.findings.warning ? (
              <span className="badge">{s.findings.critical + s.findings.warning}</span>
            ) : null}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={TABS.find(([k]) => k === tab)?.[1]}>
        <Suspense fallback={<Loading label="Loading" />}>
          {tab === "overview" ? <RunOverview s={s} onLogs={() => select("logs")} /> : null}
          {tab === "logs" ? <RunLogs runId={r.id} nodes={s.nodes.map((n) => n.node)} live={live} /> : null}
          {tab === "metrics" ? <RunMetrics s={s} /> : null}
          {tab === "spark" ? <SparkTab runId={r.id} /> : null}
        </Suspense>
      </div>
    </>
  );
}
