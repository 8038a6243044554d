import { useState } from "react";
import { Link } from "react-router";
import { type SparkComparison, type SparkFinding, type SparkView, useSparkList, useSparkView } from "../api/runs.ts";
import { Severity } from "../components/RunStatus.tsx";
import { Empty, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { exact, formatDuration, number } from "../components/Time.tsx";
import { bytes, SparkStages } from "./SparkStages.tsx";
import { ExecutorTimeline, StageTimeline } from "./SparkTimeline.tsx";

/**
 * The Spark tab of a run: one section per uploaded event log. Everything that comes from the log (app name, stage names,
 * failure reasons) is rendered as React text, never as HTML.
 */
export default function SparkTab({ runId }: { runId: string }) {
  const list = useSparkList(runId);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  return (
    <Query query={list} label="Loading Spark analyses">
      {({ items }) => {
        if (items.length === 0) {
          return (
            <div className="card">
              <Empty title="No Spark event log on this run">
                <p>Upload the job's event log (plain, zstd, lz4, snappy, gzip, or a rolling eventlog_v2_* folder):</p>
                <pre>{`stagegate spark upload ${runId} /dbfs/cluster-logs/eventlog/app-20240101.zstd`}</pre>
              </Empty>
            </div>
          );
        }
        const name = chosen && items.some((i) => i.name === chosen) ? chosen : items[0]?.name;
        return (
          <>
            {items.length > 1 ? (
              <fieldset className="toolbar" style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
                <legend className="sr-only">Event logs of this run</legend>
                {items.map((i) => (
                  <button
                    key={i.name}
                    type="button"
                    className="small"
                    aria-pressed={i.name === name}
                    style={i.name === name ? { fontWeight: 600, boxShadow: "inset 0 -2px 0 var(--accent)" } : undefined}
                    onClick={() => setChosen(i.name)}
                  >
                    {i.name}
                    {i.critical ? <span className="badge">{i.critical}</span> : null}
                  </button>
                ))}
              </fieldset>
            ) : null}
            {name ? <Analysis runId={runId} name={name} /> : null}
          </>
        );
      }}
    </Query>
  );
}

function Analysis({ runId, name }: { runId: string; name: string }) {
  const view = useSparkView(runId, name);
  return (
    <Query query={view} label={`Loading the analysis ${name}`}>
      {(v) => <AnalysisBody v={v} />}
    </Query>
  );
}

function AnalysisBody({ v }: { v: SparkView }) {
  const a = v.analysis;
  const app = a.app;
  return (
    <div className="grid" style={{ gap: 16, gridTemplateColumns: "minmax(0, 1fr)" }}>
      <section className="card" aria-labelledby="spark-app-title">
        <h2 id="spark-app-title" style={{ overflowWrap: "anywhere" }}>
          {app.appName ?? "Unnamed application"} <span className="muted mono">({v.name})</span>
        </h2>
        {!a.complete ? (
          <div className="banner attention">
            <Status status="errored">Incomplete</Status>
            <span>{a.incompleteReasons.join("; ") || "The log ends before the application does."}</span>
          </div>
        ) : null}
        <dl className="kv">
          <dt>Application</dt>
          <dd className="mono">{app.appId ?? "—"}</dd>
          <dt>Spark</dt>
          <dd>
            {app.sparkVersion ?? "—"}
            {app.databricksRuntime ? ` · Databricks ${app.databricksRuntime}` : ""}
            {app.photon ? " · Photon" : ""}
          </dd>
          <dt>Master</dt>
          <dd className="mono">
            {app.master ?? "—"} <span className="muted">({app.clusterManager})</span>
          </dd>
          <dt>Duration</dt>
          <dd>
            <span className="mono">{formatDuration(app.durationMs)}</span>
            {app.startTime ? <span className="muted"> · started {exact(new Date(app.startTime).toISOString())}</span> : null}
          </dd>
          <dt>Read</dt>
          <dd>
            {number(a.counts.events)} events, {number(a.counts.taskEnds)} tasks, {number(a.counts.jobsStarted)} jobs ·{" "}
            {a.source.codec} · {bytes(a.source.decompressedBytes)}
            {a.counts.malformed ? ` · ${number(a.counts.malformed)} malformed lines skipped` : ""}
          </dd>
        </dl>
      </section>
      <Findings findings={a.findings} />
      <StageTimeline analysis={a} />
      <ExecutorTimeline analysis={a} />
      <SparkStages stages={a.stages} />
      <Comparison comparison={v.comparison} />
    </div>
  );
}

function Evidence({ evidence }: { evidence: SparkFinding["evidence"] }) {
  const entries = Object.entries(evidence).filter(([, value]) => value !== null && value !== "");
  if (entries.length === 0) return null;
  return (
    <dl className="kv" style={{ fontSize: 13, marginTop: 6 }}>
      {entries.map(([key, value]) => (
        <div key={key} style={{ display: "contents" }}>
          <dt>{key}</dt>
          <dd className="mono" style={{ whiteSpace: "pre-wrap" }}>
            {typeof value === "number" ? number(value) : String(value)}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Findings({ findings }: { findings: SparkFinding[] }) {
  return (
    <section aria-labelledby="spark-findings-title">
      <h2 id="spark-findings-title">Findings</h2>
      {findings.length === 0 ? (
        <p className="muted">Nothing to report: no straggler, skew, spill, GC pressure, executor loss or task failure found.</p>
      ) : (
        <ul aria-label="Spark findings" style={{ listStyle: "none", padding: 0, margin: 0, display: "grid", gap: 8 }}>
          {findings.map((f, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the same code can appear for several stages
            <li key={`${f.code}-${i}`} className="card">
              <div style={{ overflowWrap: "anywhere" }}>
                <Severity severity={f.severity} /> <strong>{f.title}</strong> <code className="muted">{f.code}</code>
              </div>
              <Evidence evidence={f.evidence} />
              <p style={{ margin: "6px 0 0" }}>
                <strong>What to try:</strong> {f.advice}
                {f.setting ? (
                  <>
                    {" "}
                    Setting: <code>{f.setting}</code>
                  </>
                ) : null}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Comparison({ comparison: c }: { comparison: SparkComparison | null }) {
  return (
    <section className="card" aria-labelledby="spark-compare-title">
      <h2 id="spark-compare-title">Compared with the previous run</h2>
      {!c ? (
        <p className="muted">No earlier run of this job in this environment has an event log of this name.</p>
      ) : (
        <>
          <p>
            Previous run: <Link to={`/runs/${c.previousRunId}?tab=spark`}>{c.previousRunId}</Link>. Duration{" "}
            <span className="mono">{formatDuration(c.durationMs.base)}</span> →{" "}
            <span className="mono">{formatDuration(c.durationMs.current)}</span>
            {c.durationMs.deltaMs !== null ? (
              <span className={c.durationMs.deltaMs > 0 ? "status bad" : "status ok"}>
                {" "}
                ({c.durationMs.deltaMs > 0 ? "+" : "−"}
                {formatDuration(Math.abs(c.durationMs.deltaMs))})
              </span>
            ) : null}
          </p>
          {c.slowerStages.length > 0 ? (
            <>
              <h3>Stages that got slower</h3>
              <ul>
                {c.slowerStages.map((s) => (
                  <li key={`${s.stageName}#${s.occurrence}`} style={{ overflowWrap: "anywhere" }}>
                    <code>{s.stageName}</code>: {formatDuration(s.baseMs)} → {formatDuration(s.currentMs)} ({s.ratio}×)
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p className="muted">No stage got slower.</p>
          )}
          <p>
            New findings: {c.newFindings.length ? c.newFindings.map((f) => f.title).join("; ") : "none"}. Resolved:{" "}
            {c.resolvedFindings.length ? c.resolvedFindings.map((f) => f.title).join("; ") : "none"}.
          </p>
        </>
      )}
    </section>
  );
}
