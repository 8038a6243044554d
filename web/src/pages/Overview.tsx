import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { useDecide, useDeployments, useDora, useMatrix, usePendingApprovals, useRollback } from "../api/hooks.ts";
import { useLiveUpdates } from "../api/live.ts";
import type { DoraFigures, EnvironmentColumn, ProjectMatrix } from "../api/types.ts";
import { ActionButton } from "../components/ActionButton.tsx";
import { Chart } from "../components/Chart.tsx";
import { Confirm } from "../components/Confirm.tsx";
import { DeploymentTable } from "../components/DeploymentTable.tsx";
import { LiveBadge } from "../components/LiveBadge.tsx";
import { Pager, useCursor } from "../components/Pager.tsx";
import { Empty, ErrorState, Loading, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { formatDuration, RelTime } from "../components/Time.tsx";
import { can } from "../roles.ts";

export default function Overview() {
  const { slug = "" } = useParams();
  const cursor = useCursor();
  const matrix = useMatrix(slug, cursor);
  const live = useLiveUpdates(slug);
  useEffect(() => {
    document.title = `${matrix.data?.name ?? slug} · stagegate`;
  }, [matrix.data?.name, slug]);

  return (
    <Query query={matrix} label="Loading the project">
      {(m) => (
        <>
          <div className="page-head">
            <div className="title">
              <h1>{m.name}</h1>
              <div className="meta">
                <span>
                  <code>{m.project}</code>
                </span>
                <span>{m.environments.length} environments</span>
                <span>Your role: {m.role ?? "none"}</span>
                <LiveBadge live={live} />
              </div>
            </div>
            <Link className="button" to={`/p/${slug}/releases`}>
              All releases
            </Link>
          </div>
          <WaitingForMe slug={slug} />
          <Dora slug={slug} />
          <section className="section" aria-labelledby="envs-title">
            <h2 id="envs-title">Environments</h2>
            {m.environments.length === 0 ? (
              <div className="card">
                <Empty title="No environments yet">
                  <p>Declare them in stagegate.yaml, in lifecycle order, and apply it:</p>
                  <pre>{`environments:\n  - name: staging\n  - name: production\n\nstagegate project apply -f stagegate.yaml`}</pre>
                </Empty>
              </div>
            ) : (
              <ol
                className="envs"
                aria-label="Environments in lifecycle order"
                style={{ listStyle: "none", padding: 0, margin: 0 }}
              >
                {m.environments.map((env) => (
                  <EnvironmentCard key={env.name} env={env} matrix={m} />
                ))}
              </ol>
            )}
          </section>
          <ReleaseMatrix m={m} />
          <RecentDeployments slug={slug} />
        </>
      )}
    </Query>
  );
}

function WaitingForMe({ slug }: { slug: string }) {
  const pending = usePendingApprovals();
  const mine = (pending.data?.items ?? []).filter((p) => p.deployment.project === slug);
  if (mine.length === 0) return null;
  return (
    <section className="banner attention" aria-label="Approvals waiting for you">
      <Status status="pending_approval">
        {mine.length === 1 ? "1 approval waits for you" : `${mine.length} approvals wait for you`}
      </Status>
      {mine.slice(0, 3).map((p) => (
        <Link key={p.deployment.id} className="button" to={`/approvals/${p.deployment.id}`}>
          Review <code>{p.deployment.release}</code> → {p.deployment.environment}
        </Link>
      ))}
      {mine.length > 3 ? <Link to="/approvals">all {mine.length}</Link> : null}
    </section>
  );
}

function EnvironmentCard({ env, matrix }: { env: EnvironmentColumn; matrix: ProjectMatrix }) {
  const [dialog, setDialog] = useState<"rollback" | "approve" | null>(null);
  const rollback = useRollback(matrix.project);
  const decide = useDecide();
  const last = env.last;
  const lastIsCurrent = last && env.current && last.id === env.current.deploymentId;
  return (
    <li className="env" aria-label={`Environment ${env.name}`}>
      <div className="card">
        <div className="env-name">
          {env.name}
          {env.approvalRequired > 0 ? <span className="chip muted">approval</span> : null}
        </div>
        {env.current ? (
          <>
            <Link className="env-version" to={`/p/${matrix.project}/releases/${encodeURIComponent(env.current.version)}`}>
              {env.current.version}
            </Link>
            <span className="muted">
              live <RelTime at={env.current.since} />
              {env.current.by ? ` · by ${env.current.by}` : ""}
            </span>
          </>
        ) : (
          <span className="muted">Nothing deployed yet</span>
        )}
        {last && !lastIsCurrent ? (
          <Link to={`/deployments/${last.id}`} aria-label={`Last deployment to ${env.name}: ${last.release} ${last.status}`}>
            <Status status={last.status}>
              {last.kind === "rollback" ? "Rollback " : ""}
              <code>{last.release}</code> {last.status.replace(/_/g, " ")}
            </Status>
          </Link>
        ) : last ? (
          <Link to={`/deployments/${last.id}`}>
            <Status status={last.status} />
          </Link>
        ) : null}
        {env.pending ? (
          <div className="chip attention" style={{ borderRadius: 6 }}>
            <Status status="pending_approval">
              Awaiting approval · {env.pending.approvals} of {env.pending.required}
            </Status>
          </div>
        ) : null}
        <div className="actions">
          {env.pending && can.approve(matrix.role) ? (
            <button type="button" className="ok small" onClick={() => setDialog("approve")}>
              Approve {env.pending.release}
            </button>
          ) : null}
          {env.pending ? (
            <Link className="button small" to={`/approvals/${env.pending.deploymentId}`}>
              Details
            </Link>
          ) : null}
          {can.rollback(matrix.role) && env.current ? (
            <ActionButton className="small" onClick={() => setDialog("rollback")}>
              Roll back
            </ActionButton>
          ) : null}
        </div>
      </div>
      {dialog === "rollback" && env.current ? (
        <Confirm
          title={`Roll back ${env.name}?`}
          environment={env.name}
          current={<code>{env.current.version}</code>}
          next="the release that succeeded here before it (a new deployment of kind rollback)"
          confirmLabel={`Roll back ${env.name}`}
          tone="danger"
          onConfirm={() => rollback.mutateAsync(env.name)}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === "approve" && env.pending ? (
        <Confirm
          title={`Approve ${env.pending.release} for ${env.name}?`}
          environment={env.name}
          current={env.current ? <code>{env.current.version}</code> : "nothing"}
          next={
            <>
              <code>{env.pending.release}</code> deploys once {env.pending.required} approval(s) are in
            </>
          }
          confirmLabel="Approve and deploy"
          tone="ok"
          comment="optional"
          onConfirm={(comment) =>
            decide.mutateAsync({ deploymentId: env.pending?.deploymentId ?? "", decision: "approve", comment })
          }
          onClose={() => setDialog(null)}
        />
      ) : null}
    </li>
  );
}

function ReleaseMatrix({ m }: { m: ProjectMatrix }) {
  return (
    <section className="section" aria-labelledby="matrix-title">
      <div className="card-head">
        <h2 id="matrix-title">Releases × environments</h2>
      </div>
      {m.releases.items.length === 0 ? (
        <div className="card">
          <Empty title="No releases yet">
            <p>CI registers one per build that may ship:</p>
            <pre>{`stagegate release create --project ${m.project} --version 1.0.0 --commit $GIT_SHA --branch main`}</pre>
          </Empty>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="matrix" aria-label="Release by environment matrix">
            <thead>
              <tr>
                <th scope="col">Release</th>
                {m.environments.map((env) => (
                  <th key={env.name} scope="col" className="env-col">
                    {env.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {m.releases.items.map((r) => (
                <tr key={r.version}>
                  <th scope="row" style={{ background: "transparent", color: "var(--text)" }}>
                    <Link
                      to={`/p/${m.project}/releases/${encodeURIComponent(r.version)}`}
                      className="mono"
                      style={{ fontSize: 13 }}
                    >
                      {r.version}
                    </Link>
                    <div className="muted" style={{ fontWeight: 400 }}>
                      {r.branch} · <RelTime at={r.createdAt} />
                    </div>
                  </th>
                  {r.cells.map((cell, i) => (
                    <td key={m.environments[i]?.name ?? i} className="cell">
                      {cell ? (
                        <Link
                          to={`/deployments/${cell.deploymentId}`}
                          aria-label={`${r.version} in ${cell.environment}: ${cell.status}`}
                        >
                          <Status status={cell.status} />
                        </Link>
                      ) : (
                        <span className="muted" title="not deployed">
                          · <span className="sr-only">not deployed</span>
                        </span>
                      )}
                      {cell ? (
                        <div className="muted" style={{ fontSize: 12 }}>
                          <RelTime at={cell.at} />
                          {cell.by ? ` · ${cell.by}` : ""}
                          {cell.kind === "rollback" ? " · rollback" : ""}
                        </div>
                      ) : null}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager nextCursor={m.releases.nextCursor} label="releases" />
    </section>
  );
}

function Dora({ slug }: { slug: string }) {
  const [days, setDays] = useState<7 | 30 | 90>(30);
  const dora = useDora(slug, days);
  return (
    <section className="section" aria-labelledby="dora-title" style={{ marginTop: 0 }}>
      <div className="card-head">
        <h2 id="dora-title">
          Delivery {dora.data?.environment ? <span className="muted">to {dora.data.environment}</span> : null}
        </h2>
        <span className="spacer" />
        <fieldset className="segmented" style={{ padding: 0, margin: 0 }}>
          <legend className="sr-only">Period</legend>
          {([7, 30, 90] as const).map((d) => (
            <button key={d} type="button" aria-pressed={days === d} onClick={() => setDays(d)}>
              {d} days
            </button>
          ))}
        </fieldset>
      </div>
      {dora.isPending ? <Loading rows={2} /> : dora.data ? <DoraTiles d={dora.data} /> : <ErrorState error={dora.error} />}
    </section>
  );
}

function DoraTiles({ d }: { d: DoraFigures }) {
  const x = useMemo(() => d.series.map((p) => Date.parse(`${p.day}T00:00:00Z`) / 1000), [d.series]);
  const deploys = useMemo(
    () => [{ label: "deploys", values: d.series.map((p) => p.deployments), tone: "ok" as const, bars: true }],
    [d.series],
  );
  const failures = useMemo(
    () => [{ label: "failed", values: d.series.map((p) => p.failures), tone: "bad" as const, bars: true }],
    [d.series],
  );
  const lead = useMemo(
    () => [
      {
        label: "lead time",
        values: d.series.map((p) => (p.leadTimeMs === null ? null : p.leadTimeMs / 3_600_000)),
        tone: "info" as const,
      },
    ],
    [d.series],
  );
  const rate = d.changeFailureRate.rate;
  return (
    <div className="grid tiles">
      <div className="card tile">
        <div className="label">Deployment frequency</div>
        <div className="value">{d.deploymentFrequency.perDay.toFixed(2)}/day</div>
        <div className="sub">
          {d.deploymentFrequency.deployments.toLocaleString("en-US")} deploys in {d.days} days
        </div>
        <Chart title="Deploys per day" unit="deploys" x={x} series={deploys} height={80} legend={false} />
      </div>
      <div className="card tile">
        <div className="label">Lead time for changes</div>
        <div className="value">{formatDuration(d.leadTime.medianMs)}</div>
        <div className="sub">median, release created → live</div>
        <Chart title="Median lead time per day" unit="h" x={x} series={lead} height={80} legend={false} />
      </div>
      <div className="card tile">
        <div className="label">Change failure rate</div>
        <div className="value">{rate === null ? "—" : `${(rate * 100).toFixed(0)}%`}</div>
        <div className="sub">
          {d.changeFailureRate.failed} of {d.changeFailureRate.finished} deploys failed or rolled back
        </div>
        <Chart title="Failed deploys per day" unit="failed" x={x} series={failures} height={80} legend={false} />
      </div>
      <div className="card tile">
        <div className="label">Time to restore</div>
        <div className="value">{formatDuration(d.timeToRestore.medianMs)}</div>
        <div className="sub">median over {d.timeToRestore.incidents} incident(s)</div>
      </div>
    </div>
  );
}

function RecentDeployments({ slug }: { slug: string }) {
  const list = useDeployments(slug, { limit: 8 });
  return (
    <section className="section" aria-labelledby="recent-title">
      <div className="card-head">
        <h2 id="recent-title">Recent deployments</h2>
        <span className="spacer" />
        <Link to={`/p/${slug}/deployments`}>All runs</Link>
      </div>
      <Query query={list} label="Loading deployments">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title="No deployments yet">
                <p>Promote a release from its page, or from CI:</p>
                <pre>{`stagegate promote --project ${slug} 1.0.0 --to <environment> --wait`}</pre>
              </Empty>
            </div>
          ) : (
            <DeploymentTable items={page.items} />
          )
        }
      </Query>
    </section>
  );
}
