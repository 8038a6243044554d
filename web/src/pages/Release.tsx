import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import {
  isTerminal,
  useCancel,
  useCommitReport,
  useDecide,
  useEnvironments,
  useMyRole,
  usePromote,
  useReadiness,
  useRelease,
  useRollback,
} from "../api/hooks.ts";
import { useLiveUpdates } from "../api/live.ts";
import type { Deployment, Environment, Readiness, ReleaseDetail, Role } from "../api/types.ts";
import { ActionButton } from "../components/ActionButton.tsx";
import { Confirm } from "../components/Confirm.tsx";
import { GateList } from "../components/GateList.tsx";
import { LiveBadge } from "../components/LiveBadge.tsx";
import { ReportKinds } from "../components/ReportKinds.tsx";
import { Sha } from "../components/Sha.tsx";
import { Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { Elapsed, RelTime } from "../components/Time.tsx";
import { can } from "../roles.ts";

export default function ReleasePage() {
  const { slug = "", version = "" } = useParams();
  const release = useRelease(slug, version);
  const envs = useEnvironments(slug);
  const readiness = useReadiness(slug, version);
  const me = useMyRole(slug);
  const live = useLiveUpdates(slug);
  useEffect(() => {
    document.title = `${version} · ${slug} · stagegate`;
  }, [slug, version]);

  return (
    <Query query={release} label="Loading the release">
      {(r) => (
        <>
          <nav className="crumbs" aria-label="Breadcrumbs">
            <Link to={`/p/${slug}`}>{slug}</Link>/<Link to={`/p/${slug}/releases`}>releases</Link>/<span>{r.version}</span>
          </nav>
          <div className="page-head">
            <div className="title">
              <h1>
                Release <span className="mono">{r.version}</span>
              </h1>
              <div className="meta">
                <span>
                  commit <Sha sha={r.commitSha} />
                </span>
                <span>
                  branch <code>{r.branch}</code>
                </span>
                <span>
                  created <RelTime at={r.createdAt} />
                  {r.createdBy ? ` by ${r.createdBy}` : ""}
                </span>
                <LiveBadge live={live} />
              </div>
            </div>
          </div>
          {r.notes || r.artifactUrl ? (
            <div className="card">
              <dl className="kv">
                {r.artifactUrl ? (
                  <>
                    <dt>Artifact</dt>
                    <dd>
                      <code>{r.artifactUrl}</code>
                      {r.artifactDigest ? <div className="muted mono">{r.artifactDigest}</div> : null}
                    </dd>
                  </>
                ) : null}
                {r.notes ? (
                  <>
                    <dt>Notes</dt>
                    <dd style={{ whiteSpace: "pre-wrap" }}>{r.notes}</dd>
                  </>
                ) : null}
              </dl>
            </div>
          ) : null}
          <section className="section" aria-labelledby="stages-title">
            <h2 id="stages-title">Environments</h2>
            <div className="grid">
              {r.environments.map((e) => (
                <Stage
                  key={e.environment}
                  slug={slug}
                  release={r}
                  name={e.environment}
                  deployments={e.deployments}
                  env={envs.data?.items.find((x) => x.name === e.environment)}
                  readiness={readiness.data?.environments.find((x) => x.environment === e.environment)}
                  role={me.data?.role ?? null}
                />
              ))}
            </div>
          </section>
          <CommitReports slug={slug} sha={r.commitSha} />
        </>
      )}
    </Query>
  );
}

function whyNot(ready: Readiness["environments"][number] | undefined): string | null {
  if (!ready) return null;
  if (!ready.lifecycle.ok) return `Needs a successful deploy to ${ready.lifecycle.requires} first (lifecycle)`;
  if (ready.lock) return `Locked: ${ready.lock.release} is deploying here right now`;
  if (ready.freeze) return `Frozen (${ready.freeze.reason}) until ${new Date(ready.freeze.liftsAt).toUTCString()}`;
  if (ready.gates && !ready.gates.passed) {
    const failed = ready.gates.results.filter((g) => !g.passed).map((g) => g.type);
    return `Gate failed: ${failed.join(", ")}`;
  }
  return null;
}

/** Only what an admin may override with a reason (a freeze, failing gates); lifecycle and locks never. */
function overridable(ready: Readiness["environments"][number] | undefined): boolean {
  if (!ready?.lifecycle.ok || ready.lock) return false;
  return Boolean(ready.freeze) || Boolean(ready.gates && !ready.gates.passed);
}

function Stage(props: {
  slug: string;
  release: ReleaseDetail;
  name: string;
  deployments: Deployment[];
  env: Environment | undefined;
  readiness: Readiness["environments"][number] | undefined;
  role: Role | null;
}) {
  const { slug, release, name, deployments, env, readiness, role } = props;
  const [dialog, setDialog] = useState<"promote" | "override" | "approve" | "reject" | "rollback" | null>(null);
  const promote = usePromote(slug);
  const rollback = useRollback(slug);
  const decide = useDecide();
  const cancel = useCancel();
  const latest = deployments[0];
  const current = env?.currentRelease ?? null;
  const liveHere = current?.version === release.version;
  const waiting = latest?.status === "pending_approval";
  const active = latest && !isTerminal(latest.status) && !waiting;
  const retry = latest && (latest.status === "failed" || latest.status === "errored" || latest.status === "cancelled");
  const verb = env?.requires ? "Promote" : "Deploy";
  const why = whyNot(readiness);

  return (
    <article className="card" aria-label={`Environment ${name}`}>
      <div className="card-head">
        <h3 style={{ margin: 0 }}>{name}</h3>
        {liveHere ? (
          <span className="chip ok">
            <Status status="succeeded">Live here</Status>
          </span>
        ) : latest ? (
          <Link to={`/deployments/${latest.id}`}>
            <Status status={latest.status} />
          </Link>
        ) : (
          <span className="muted">Not deployed</span>
        )}
        <span className="spacer" />
        <span className="muted">Runs there now: {current ? <code>{current.version}</code> : "nothing"}</span>
      </div>
      {readiness?.gates ? <GateList gates={readiness.gates.results} title="Gates (checked now)" /> : null}
      <div className="toolbar" style={{ marginTop: 8, marginBottom: 0, alignItems: "flex-start" }}>
        {waiting && can.approve(role) ? (
          <>
            <button type="button" className="ok" onClick={() => setDialog("approve")}>
              Approve
            </button>
            <button type="button" onClick={() => setDialog("reject")}>
              Reject
            </button>
          </>
        ) : null}
        {waiting && latest ? (
          <Link className="button" to={`/approvals/${latest.id}`}>
            Open approval
          </Link>
        ) : null}
        {active && latest ? (
          <>
            <Link className="button" to={`/deployments/${latest.id}`}>
              View log · <Elapsed from={latest.startedAt ?? latest.createdAt} to={null} />
            </Link>
            {can.cancel(role) ? (
              <button type="button" className="danger" onClick={() => cancel.mutate(latest.id)} disabled={cancel.isPending}>
                Cancel
              </button>
            ) : null}
          </>
        ) : null}
        {!waiting && !active && !liveHere && can.promote(role) ? (
          <ActionButton className="primary" why={why} onClick={() => setDialog("promote")}>
            {retry ? `Retry ${verb.toLowerCase()} to ${name}` : `${verb} to ${name}`}
          </ActionButton>
        ) : null}
        {!waiting && !active && !liveHere && why && overridable(readiness) && can.administer(role) ? (
          <button type="button" className="danger" onClick={() => setDialog("override")}>
            Override and {verb.toLowerCase()}…
          </button>
        ) : null}
        {liveHere && can.rollback(role) ? (
          <button type="button" onClick={() => setDialog("rollback")}>
            Roll back {name}
          </button>
        ) : null}
      </div>
      {deployments.length > 0 ? (
        <details style={{ marginTop: 12 }} open={deployments.length <= 3}>
          <summary>History ({deployments.length})</summary>
          <ul style={{ listStyle: "none", padding: 0, margin: "8px 0 0" }}>
            {deployments.map((d) => (
              <li key={d.id} style={{ display: "flex", gap: 10, flexWrap: "wrap", padding: "4px 0" }}>
                <Link to={`/deployments/${d.id}`}>
                  <Status status={d.status} />
                </Link>
                <span className="muted">
                  {d.kind === "rollback" ? "rollback · " : ""}
                  <RelTime at={d.createdAt} />
                  {d.createdBy ? ` by ${d.createdBy}` : ""}
                  {d.reason ? ` · ${d.reason}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {dialog === "promote" ? (
        <Confirm
          title={`${verb} ${release.version} to ${name}?`}
          environment={name}
          current={current ? <code>{current.version}</code> : "nothing yet"}
          next={
            <>
              <code>{release.version}</code>
              {env?.executor.length ? ` via ${env.executor.map((s) => s.type).join(" → ")}` : ""}
            </>
          }
          confirmLabel={`${verb} to ${name}`}
          onConfirm={() => promote.mutateAsync({ version: release.version, environment: name })}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === "override" ? (
        <Confirm
          title={`Override and ${verb.toLowerCase()} ${release.version} to ${name}?`}
          environment={name}
          current={current ? <code>{current.version}</code> : "nothing yet"}
          next={<code>{release.version}</code>}
          confirmLabel={`Override and ${verb.toLowerCase()} to ${name}`}
          tone="danger"
          comment="required"
          commentLabel="Reason"
          minComment={10}
          onConfirm={(reason) => promote.mutateAsync({ version: release.version, environment: name, overrideReason: reason })}
          onClose={() => setDialog(null)}
        >
          <p className="banner attention" role="note">
            You override: {why}. Your name and reason go to the audit log and to the project's channels.
          </p>
        </Confirm>
      ) : null}
      {(dialog === "approve" || dialog === "reject") && latest ? (
        <Confirm
          title={dialog === "approve" ? `Approve ${release.version} for ${name}?` : `Reject ${release.version} for ${name}?`}
          environment={name}
          current={current ? <code>{current.version}</code> : "nothing yet"}
          next={dialog === "approve" ? <code>{release.version}</code> : "unchanged: the deployment is rejected"}
          confirmLabel={dialog === "approve" ? "Approve and deploy" : "Reject"}
          tone={dialog === "approve" ? "ok" : "danger"}
          comment={dialog === "approve" ? "optional" : "required"}
          onConfirm={(comment) => decide.mutateAsync({ deploymentId: latest.id, decision: dialog, comment })}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === "rollback" ? (
        <Confirm
          title={`Roll back ${name}?`}
          environment={name}
          current={<code>{release.version}</code>}
          next="the release that succeeded here before it"
          confirmLabel={`Roll back ${name}`}
          tone="danger"
          onConfirm={() => rollback.mutateAsync(name)}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </article>
  );
}

function CommitReports({ slug, sha }: { slug: string; sha: string }) {
  const report = useCommitReport(slug, sha);
  return (
    <section className="section" aria-labelledby="reports-title">
      <h2 id="reports-title">Test reports of this commit</h2>
      <Query query={report} label="Loading reports">
        {(c) => <ReportKinds report={c} slug={slug} />}
      </Query>
    </section>
  );
}
