import { useEffect } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { isTerminal, useCancel, useDeployment, useGates, useMyRole, usePromote, useRollback } from "../api/hooks.ts";
import { useLiveUpdates } from "../api/live.ts";
import { useDeploymentLog } from "../api/log.ts";
import { useDeploymentRun } from "../api/runs.ts";
import type { Deployment } from "../api/types.ts";
import { GateList } from "../components/GateList.tsx";
import { LogView } from "../components/LogView.tsx";
import { ErrorState, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { Elapsed, exact, RelTime } from "../components/Time.tsx";
import { can } from "../roles.ts";

export default function DeploymentPage() {
  const { id = "" } = useParams();
  const deployment = useDeployment(id);
  useLiveUpdates(deployment.data?.project);
  useEffect(() => {
    const d = deployment.data;
    document.title = d ? `${d.release} → ${d.environment} (${d.status}) · stagegate` : "Deployment · stagegate";
  }, [deployment.data]);
  return (
    <Query query={deployment} label="Loading the deployment">
      {(d) => <Body d={d} />}
    </Query>
  );
}

function Body({ d }: { d: Deployment }) {
  const live = !isTerminal(d.status);
  // The stream follows while the deployment runs; it restarts once when it ends so the last lines are certainly in.
  const log = useDeploymentLog(d.id, live, live ? "live" : "final");
  const gates = useGates(d.id);
  const run = useDeploymentRun(d);
  const me = useMyRole(d.project);
  const cancel = useCancel();
  const promote = usePromote(d.project);
  const rollback = useRollback(d.project);
  const navigate = useNavigate();
  const failed = d.status === "failed" || d.status === "errored";
  const retryable = failed || d.status === "cancelled";
  const retry = async () => {
    const next =
      d.kind === "rollback"
        ? await rollback.mutateAsync(d.environment)
        : await promote.mutateAsync({ version: d.release, environment: d.environment });
    navigate(`/deployments/${next.id}`);
  };
  // The executor's link to the run at the target (ADF, Databricks, GitHub…); only http(s) is ever made a link.
  const linkable = (url: string | null) => (url && /^https?:\/\//.test(url) ? url : null);
  const externalUrl = linkable(d.externalUrl) ?? linkable(d.externalId);
  const retryError = promote.error ?? rollback.error;

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link to={`/p/${d.project}`}>{d.project}</Link>/<Link to={`/p/${d.project}/deployments`}>deployments</Link>/
        <span className="mono">{d.id}</span>
      </nav>
      <div className="page-head">
        <div className="title">
          <h1>
            <Status status={d.status} />
            <span>
              {d.kind === "rollback" ? "Rollback of " : ""}
              <Link className="mono" to={`/p/${d.project}/releases/${encodeURIComponent(d.release)}`}>
                {d.release}
              </Link>{" "}
              → {d.environment}
            </span>
          </h1>
          <div className="meta">
            <span>
              requested <RelTime at={d.createdAt} />
              {d.createdBy ? ` by ${d.createdBy}` : ""}
            </span>
            {d.step ? (
              <span>
                step {d.step.index + 1}: <code>{d.step.name}</code>
                {d.step.attempt > 0 ? ` (retry ${d.step.attempt})` : ""}
              </span>
            ) : null}
          </div>
        </div>
        <div className="toolbar" style={{ marginBottom: 0 }}>
          {d.status === "pending_approval" ? (
            <Link className="button primary" to={`/approvals/${d.id}`}>
              Open approval
            </Link>
          ) : null}
          {live && can.cancel(me.data?.role) ? (
            <button type="button" className="danger" onClick={() => cancel.mutate(d.id)} disabled={cancel.isPending}>
              Cancel deployment
            </button>
          ) : null}
          {retryable && can.promote(me.data?.role) ? (
            <button
              type="button"
              className="primary"
              onClick={() => void retry().catch(() => undefined)}
              disabled={promote.isPending || rollback.isPending}
            >
              Retry
            </button>
          ) : null}
        </div>
      </div>
      {retryError ? <ErrorState error={retryError} /> : null}
      {cancel.error ? <ErrorState error={cancel.error} /> : null}
      {failed ? (
        <div className="banner bad" role="alert">
          <Status status={d.status} />
          <span>
            {d.reason ?? (d.status === "failed" ? "The target reported a failure." : "We could not tell whether it worked.")}
          </span>
        </div>
      ) : null}
      {d.status === "rejected" || d.status === "cancelled" || d.status === "expired" ? (
        <div className="banner info">
          <Status status={d.status} /> {d.reason}
        </div>
      ) : null}
      <div className="grid two" style={{ marginBottom: 16 }}>
        <div className="card">
          <h2>Timings</h2>
          <dl className="kv">
            <dt>Requested</dt>
            <dd title={exact(d.createdAt)}>
              <RelTime at={d.createdAt} />
            </dd>
            <dt>Waited</dt>
            <dd>
              <Elapsed from={d.createdAt} to={d.startedAt ?? (isTerminal(d.status) ? d.finishedAt : null)} />
            </dd>
            <dt>Started</dt>
            <dd>{d.startedAt ? <RelTime at={d.startedAt} /> : "not yet"}</dd>
            <dt>Ran for</dt>
            <dd>{d.startedAt ? <Elapsed from={d.startedAt} to={d.finishedAt} /> : "—"}</dd>
            <dt>Finished</dt>
            <dd>{d.finishedAt ? <RelTime at={d.finishedAt} /> : "—"}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Target</h2>
          <dl className="kv">
            <dt>Environment</dt>
            <dd>{d.environment}</dd>
            <dt>Executor run</dt>
            <dd>
              {externalUrl ? (
                <a href={externalUrl} target="_blank" rel="noreferrer">
                  Open the run{d.externalId && d.externalId !== externalUrl ? ` ${d.externalId}` : ""} ↗
                </a>
              ) : d.externalId ? (
                <code>{d.externalId}</code>
              ) : (
                <span className="muted">none reported</span>
              )}
            </dd>
            <dt>Kind</dt>
            <dd>{d.kind}</dd>
            <dt>Pipeline run</dt>
            <dd>
              {run.data ? (
                <Link to={`/runs/${run.data.id}`}>Logs, metrics and diagnosis of this run</Link>
              ) : (
                <span className="muted">{run.isPending ? "…" : "no run yet"}</span>
              )}
            </dd>
          </dl>
          {gates.data ? (
            <div style={{ marginTop: 8 }}>
              <GateList gates={gates.data.results} title="Gates when promoted" />
              {gates.data.override ? (
                <p className="muted">
                  Overridden by {gates.data.override.by}: {gates.data.override.reason}
                </p>
              ) : null}
            </div>
          ) : null}
        </div>
      </div>
      <section aria-labelledby="log-title">
        <h2 id="log-title">Log</h2>
        {log.error ? <ErrorState error={log.error} /> : null}
        <LogView lines={log.lines} live={live} label={`Log of ${d.release} to ${d.environment}`} />
      </section>
    </>
  );
}
