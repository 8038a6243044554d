import { useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { ApiError } from "../api/client.ts";
import {
  isTerminal,
  useApproval,
  useCommitReport,
  useDecide,
  useDecideByLink,
  useDeployment,
  useEnvironments,
  useGates,
  useMyRole,
  useProject,
  useRelease,
} from "../api/hooks.ts";
import { useLiveUpdates } from "../api/live.ts";
import type { CommitReport, Deployment } from "../api/types.ts";
import { GateList } from "../components/GateList.tsx";
import { ReportKinds } from "../components/ReportKinds.tsx";
import { Sha } from "../components/Sha.tsx";
import { ErrorState, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { percent, RelTime } from "../components/Time.tsx";
import { can } from "../roles.ts";

/** Everything needed to decide "go live?" on one page: what Slack and email approval links lead to. */
export default function ApprovalPage() {
  const { id = "" } = useParams();
  const deployment = useDeployment(id);
  useLiveUpdates(deployment.data?.project);
  useEffect(() => {
    const d = deployment.data;
    document.title = d ? `Approve ${d.release} → ${d.environment} · stagegate` : "Approval · stagegate";
  }, [deployment.data]);
  return (
    <Query query={deployment} label="Loading the approval">
      {(d) => <Decide d={d} />}
    </Query>
  );
}

function Decide({ d }: { d: Deployment }) {
  const approval = useApproval(d.id, d.status === "pending_approval");
  const release = useRelease(d.project, d.release);
  const envs = useEnvironments(d.project);
  const project = useProject(d.project);
  const gates = useGates(d.id);
  const me = useMyRole(d.project);
  const decide = useDecide();
  const byLink = useDecideByLink();
  const location = useLocation();
  const navigate = useNavigate();
  const link = linkOf(location.hash);
  const [comment, setComment] = useState("");
  const [rejecting, setRejecting] = useState(link?.action === "reject");
  const busy = decide.isPending || byLink.isPending;
  const failure = byLink.error ?? decide.error;
  const forgetLink = () => navigate({ pathname: location.pathname, search: location.search, hash: "" }, { replace: true });
  const submit = (decision: "approve" | "reject") => {
    decide.reset();
    byLink.reset();
    // Opened from a notification: the decision spends its single-use link. A spent or expired link is dropped, so the
    // next press decides as the signed-in person (who must be allowed either way).
    if (link && link.action === decision) {
      byLink.mutate(
        { token: link.token, comment },
        { onSuccess: forgetLink, onError: (e) => (e instanceof ApiError && e.status === 400 ? forgetLink() : undefined) },
      );
    } else decide.mutate({ deploymentId: d.id, decision, comment });
  };
  const env = envs.data?.items.find((e) => e.name === d.environment);
  const current = env?.currentRelease ?? null;
  const currentRelease = useRelease(d.project, current?.version ?? "");
  const newReport = useCommitReport(d.project, release.data?.commitSha);
  const oldReport = useCommitReport(
    d.project,
    current && current.version !== d.release ? currentRelease.data?.commitSha : undefined,
  );
  const waiting = d.status === "pending_approval";
  const repo = project.data?.repoUrl?.replace(/\.git$/, "");
  const compare =
    repo && currentRelease.data && release.data && /github\.com|gitlab/.test(repo)
      ? `${repo}/compare/${currentRelease.data.commitSha}...${release.data.commitSha}`
      : null;

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link to={`/p/${d.project}`}>{d.project}</Link>/<Link to="/approvals">approvals</Link>/
        <span className="mono">{d.id}</span>
      </nav>
      <div className="page-head">
        <div className="title">
          <h1>
            <span>
              Deploy <span className="mono">{d.release}</span> to {d.environment}?
            </span>
            <Status status={d.status} />
          </h1>
          <div className="meta">
            <span>
              requested <RelTime at={d.createdAt} />
              {d.createdBy ? ` by ${d.createdBy}` : ""}
            </span>
            {approval.data?.expiresAt && waiting ? (
              <span>
                expires <RelTime at={approval.data.expiresAt} />
              </span>
            ) : null}
          </div>
        </div>
      </div>

      <div className="banner info">
        <span>
          <strong>{d.environment}</strong> runs {current ? <code>{current.version}</code> : "nothing yet"} now
        </span>
        <span aria-hidden="true">→</span>
        <span>
          after this: <code>{d.release}</code>
        </span>
        {compare ? (
          <a href={compare} target="_blank" rel="noreferrer">
            Commits between them ↗
          </a>
        ) : null}
      </div>

      {waiting && can.approve(me.data?.role) ? (
        <section className="card" aria-label="Your decision">
          {link ? (
            <p className="muted" style={{ marginTop: 0 }}>
              Opened from the notification's {link.action === "approve" ? "Approve" : "Reject"} link: it works once.
            </p>
          ) : null}
          <div className="field">
            <label htmlFor="decision-comment">Comment {rejecting ? "(required to reject)" : "(optional)"}</label>
            <textarea id="decision-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
          </div>
          {failure ? <ErrorState error={failure} /> : null}
          <div className="toolbar" style={{ marginBottom: 0 }}>
            <button type="button" className="ok" disabled={busy} onClick={() => submit("approve")}>
              Approve and deploy to {d.environment}
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                setRejecting(true);
                if (comment.trim()) submit("reject");
              }}
            >
              Reject
            </button>
            {rejecting && !comment.trim() ? <span className="why">Say why in the comment, then press Reject.</span> : null}
          </div>
        </section>
      ) : waiting ? (
        <p className="banner attention">
          <Status status="pending_approval">You cannot decide this one</Status>
          <span className="muted">
            it needs an approver of {d.project}; your role is {me.data?.role ?? "none"}.
          </span>
        </p>
      ) : (
        <div className="banner ok" role="status">
          <Status status={d.status} />
          <span>
            {isTerminal(d.status) ? "Decided." : "Approved — the deployment is on its way."}{" "}
            <Link to={`/deployments/${d.id}`}>Open the deployment and its log</Link>
          </span>
        </div>
      )}

      <div className="grid two section">
        <div className="card">
          <h2>Approvals</h2>
          {approval.data ? (
            <>
              <ul style={{ listStyle: "none", padding: 0, margin: 0 }}>
                {approval.data.groups.map((g) => (
                  <li key={g.name} style={{ padding: "3px 0" }}>
                    <Status status={g.satisfied ? "succeeded" : "pending_approval"}>
                      {g.name}: {g.approvedBy.length} of {g.required}
                    </Status>
                    {g.approvedBy.length ? <span className="muted"> — {g.approvedBy.join(", ")}</span> : null}
                  </li>
                ))}
              </ul>
              {approval.data.decisions.length > 0 ? (
                <ul style={{ paddingLeft: 18 }}>
                  {approval.data.decisions.map((x) => (
                    <li key={`${x.user}-${x.at}`}>
                      <strong>{x.user}</strong> {x.decision === "approve" ? "approved" : "rejected"} <RelTime at={x.at} />
                      {x.comment ? <>: “{x.comment}”</> : null}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted">Nobody decided yet.</p>
              )}
            </>
          ) : (
            <p className="muted">No approval policy recorded.</p>
          )}
        </div>
        <div className="card">
          <h2>Release</h2>
          {release.data ? (
            <dl className="kv">
              <dt>Commit</dt>
              <dd>
                <Sha sha={release.data.commitSha} /> on <code>{release.data.branch}</code>
              </dd>
              {release.data.artifactUrl ? (
                <>
                  <dt>Artifact</dt>
                  <dd>
                    <code>{release.data.artifactUrl}</code>
                  </dd>
                </>
              ) : null}
              {release.data.notes ? (
                <>
                  <dt>Notes</dt>
                  <dd style={{ whiteSpace: "pre-wrap" }}>{release.data.notes}</dd>
                </>
              ) : null}
            </dl>
          ) : null}
          {gates.data ? (
            <GateList gates={gates.data.results} title="Gates" />
          ) : (
            <p className="muted">No gates on {d.environment}.</p>
          )}
        </div>
      </div>

      <section className="section" aria-labelledby="evidence-title">
        <h2 id="evidence-title">Tests of {d.release}</h2>
        {newReport.data ? <ReportKinds report={newReport.data} slug={d.project} /> : null}
        {newReport.data && oldReport.data && current ? (
          <Delta next={newReport.data} prev={oldReport.data} prevVersion={current.version} />
        ) : null}
      </section>
    </>
  );
}

/** The link a Slack or email notification carried, as `/approve/:token` hands it over: `#link=…&action=…`. */
function linkOf(hash: string): { token: string; action: "approve" | "reject" } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("link");
  const action = params.get("action");
  return token && (action === "approve" || action === "reject") ? { token, action } : null;
}

function Delta({ next, prev, prevVersion }: { next: CommitReport; prev: CommitReport; prevVersion: string }) {
  const kinds = [...new Set([...next.kinds.map((k) => k.kind), ...prev.kinds.map((k) => k.kind)])];
  return (
    <div className="table-wrap" style={{ marginTop: 12 }}>
      <table aria-label={`Changes since ${prevVersion}`}>
        <caption style={{ textAlign: "left", padding: "8px 12px", fontWeight: 600 }}>Since {prevVersion}</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Tests
            </th>
            <th scope="col">New failures</th>
            <th scope="col">Fixed</th>
            <th scope="col" className="num">
              Coverage
            </th>
          </tr>
        </thead>
        <tbody>
          {kinds.map((kind) => {
            const a = prev.kinds.find((k) => k.kind === kind);
            const b = next.kinds.find((k) => k.kind === kind);
            const added = (b?.failing ?? []).filter((t) => !(a?.failing ?? []).includes(t));
            const fixed = (a?.failing ?? []).filter((t) => !(b?.failing ?? []).includes(t));
            const covA = a?.coverage?.lines ?? null;
            const covB = b?.coverage?.lines ?? null;
            const delta = covA !== null && covB !== null ? covB - covA : null;
            return (
              <tr key={kind}>
                <td>{kind}</td>
                <td className="num">
                  {a?.tests.total ?? 0} → {b?.tests.total ?? 0}
                </td>
                <td>
                  {added.length ? <span className="status bad">{added.join(", ")}</span> : <span className="muted">none</span>}
                </td>
                <td>
                  {fixed.length ? <span className="status ok">{fixed.join(", ")}</span> : <span className="muted">none</span>}
                </td>
                <td className="num">
                  {percent(covB)}
                  {delta !== null ? (
                    <span className={delta < 0 ? "status bad" : "status ok"}>
                      {" "}
                      ({delta >= 0 ? "+" : ""}
                      {delta.toFixed(1)})
                    </span>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
