import { Link } from "react-router";
import type { RunAlert, RunFigures, RunNode, RunSummary } from "../api/runs.ts";
import { Severity } from "../components/RunStatus.tsx";
import { Empty } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { exact, formatDuration, number, RelTime } from "../components/Time.tsx";

/** A node is silent when the run is still running and nothing came from it for this long (or an alert says so). */
const SILENT_AFTER_MS = 5 * 60_000;
const LEVELS = ["debug", "info", "warn", "error", "fatal"] as const;

export function RunOverview({ s, onLogs }: { s: RunSummary; onLogs: () => void }) {
  return (
    <div className="grid" style={{ gap: 16, gridTemplateColumns: "minmax(0, 1fr)" }}>
      {s.findings.top.length > 0 ? <Findings s={s} /> : null}
      <Nodes s={s} onLogs={onLogs} />
      <TopErrors s={s} />
      <div className="grid two">
        <Alerts alerts={s.alerts} />
        <Comparison s={s} />
      </div>
    </div>
  );
}

function Findings({ s }: { s: RunSummary }) {
  const f = s.findings;
  return (
    <section className="card" aria-labelledby="findings-title">
      <h2 id="findings-title">Diagnoses</h2>
      <p className="muted">
        {f.critical} critical · {f.warning} warning · {f.info} info
      </p>
      <ul style={{ listStyle: "none", padding: 0, margin: 0, display: "grid", gap: 8 }}>
        {f.top.map((finding) => (
          <li key={`${finding.source}-${finding.subject}-${finding.code}-${finding.title}`}>
            <Severity severity={finding.severity} /> <strong>{finding.title}</strong>{" "}
            <span className="muted">
              ({finding.source} · {finding.subject})
            </span>
            <div className="muted">{finding.advice}</div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function isSilent(run: RunSummary["run"], node: RunNode, alerts: RunAlert[], now: number): boolean {
  if (alerts.some((a) => a.state === "firing" && /silent/i.test(a.rule) && a.message.includes(node.node))) return true;
  return run.status === "running" && now - Date.parse(node.lastSeenAt) > SILENT_AFTER_MS;
}

function Nodes({ s, onLogs }: { s: RunSummary; onLogs: () => void }) {
  const now = Date.now();
  if (s.nodes.length === 0) {
    return (
      <section className="card" aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        <Empty title="No logs yet">
          <p>Send every worker's logs here (NDJSON, OTLP, or a cluster log folder):</p>
          <pre>{`curl -X POST -H 'content-type: application/x-ndjson' --data-binary @log.ndjson \\\n  $STAGEGATE_URL/api/v1/runs/${s.run.id}/logs`}</pre>
        </Empty>
      </section>
    );
  }
  return (
    <section aria-labelledby="nodes-title">
      <div className="card-head">
        <h2 id="nodes-title">Nodes</h2>
        <span className="spacer" />
        <button type="button" className="small" onClick={onLogs}>
          Open the merged log
        </button>
      </div>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Nodes of the run with record counts by level</caption>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              {LEVELS.map((l) => (
                <th key={l} scope="col" className="num">
                  {l}
                </th>
              ))}
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {s.nodes.map((n) => (
              <tr key={n.node}>
                <th scope="row" className="mono" style={{ fontWeight: 400, overflowWrap: "anywhere" }}>
                  {n.node}
                </th>
                <td>
                  <RelTime at={n.firstRecordAt} />
                </td>
                <td>
                  <RelTime at={n.lastSeenAt} />
                </td>
                {LEVELS.map((l) => (
                  <td key={l} className={`num${(l === "error" || l === "fatal") && (n.levels[l] ?? 0) > 0 ? " status bad" : ""}`}>
                    {number(n.levels[l] ?? 0)}
                  </td>
                ))}
                <td>
                  {isSilent(s.run, n, s.alerts, now) ? (
                    <Status status="errored">Silent</Status>
                  ) : (
                    <span className="muted">reporting</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function TopErrors({ s }: { s: RunSummary }) {
  return (
    <section aria-labelledby="errors-title">
      <h2 id="errors-title">Top errors</h2>
      {s.topErrors.length === 0 ? (
        <p className="muted">No error or fatal record in this run.</p>
      ) : (
        <div className="grid" style={{ gap: 8, gridTemplateColumns: "minmax(0, 1fr)" }}>
          {s.topErrors.map((e) => (
            <details key={e.fingerprint} className="card test">
              <summary style={{ cursor: "pointer", overflowWrap: "anywhere" }}>
                <strong className="num">{number(e.count)}×</strong> <code>{e.template}</code>
                <div className="muted" style={{ fontSize: 12 }}>
                  on {e.nodes.length} node{e.nodes.length === 1 ? "" : "s"} ({e.nodes.slice(0, 5).join(", ")}
                  {e.nodes.length > 5 ? "…" : ""}) · first <span title={exact(e.firstSeen)}>{exact(e.firstSeen)}</span> · last{" "}
                  <RelTime at={e.lastSeen} />
                </div>
              </summary>
              <p className="muted" style={{ marginTop: 8 }}>
                Example from <span className="mono">{e.example.node}</span>:
              </p>
              <pre style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
                {e.example.message}
                {e.example.stack ? `\n${e.example.stack}` : ""}
              </pre>
            </details>
          ))}
        </div>
      )}
    </section>
  );
}

function Alerts({ alerts }: { alerts: RunAlert[] }) {
  return (
    <section className="card" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      {alerts.length === 0 ? (
        <p className="muted">No alert fired during this run.</p>
      ) : (
        <ul style={{ listStyle: "none", padding: 0, margin: 0, display: "grid", gap: 8 }}>
          {[...alerts].reverse().map((a) => (
            <li key={a.id}>
              {a.state === "firing" ? <Severity severity={a.severity} /> : <Status status="succeeded">Resolved</Status>}{" "}
              <strong>{a.rule}</strong> <span style={{ overflowWrap: "anywhere" }}>{a.message}</span>
              <div className="muted" style={{ fontSize: 12 }}>
                fired <RelTime at={a.firedAt} />
                {a.resolvedAt ? (
                  <>
                    {" "}
                    · resolved <RelTime at={a.resolvedAt} />
                  </>
                ) : (
                  " · still firing"
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const ROWS: [string, (f: RunFigures) => string][] = [
  ["Duration", (f) => formatDuration(f.durationMs)],
  ["Errors", (f) => number(f.errors)],
  ["GPU utilisation (avg)", (f) => (f.gpuUtilizationAvg === null ? "—" : `${f.gpuUtilizationAvg.toFixed(1)} %`)],
  ["GPU memory peak", (f) => (f.gpuMemoryPeakMib === null ? "—" : `${number(Math.round(f.gpuMemoryPeakMib))} MiB`)],
  ["Host memory peak", (f) => (f.hostMemoryPeakPct === null ? "—" : `${f.hostMemoryPeakPct.toFixed(1)} %`)],
];

function Comparison({ s }: { s: RunSummary }) {
  const { current, previousRun, previousEnvironment } = s.comparison;
  return (
    <section className="card" aria-labelledby="compare-title">
      <h2 id="compare-title">Compared with</h2>
      {!previousRun && !previousEnvironment ? (
        <p className="muted">
          No previous run of <strong>{s.run.name}</strong> in this environment, and no run of this release in the environment
          before it.
        </p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">This run compared with the previous run and the previous environment</caption>
            <thead>
              <tr>
                <th scope="col">Figure</th>
                <th scope="col" className="num">
                  This run
                </th>
                {previousRun ? (
                  <th scope="col" className="num">
                    <Link to={`/runs/${previousRun.runId}`}>Previous run</Link>
                  </th>
                ) : null}
                {previousEnvironment ? (
                  <th scope="col" className="num">
                    <Link to={`/runs/${previousEnvironment.runId}`}>
                      {previousEnvironment.environment ?? "Previous environment"}
                    </Link>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {ROWS.map(([label, of]) => (
                <tr key={label}>
                  <th scope="row" style={{ fontWeight: 400 }}>
                    {label}
                  </th>
                  <td className="num mono">{of(current)}</td>
                  {previousRun ? <td className="num mono">{of(previousRun)}</td> : null}
                  {previousEnvironment ? <td className="num mono">{of(previousEnvironment)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
