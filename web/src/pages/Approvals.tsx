import { useEffect } from "react";
import { Link } from "react-router";
import { usePendingApprovals } from "../api/hooks.ts";
import { Empty, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { RelTime } from "../components/Time.tsx";

export default function Approvals() {
  const pending = usePendingApprovals();
  useEffect(() => {
    document.title = "Approvals · stagegate";
  }, []);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Waiting for me</h1>
          <div className="meta">Deployments, across projects, waiting for a decision you may make.</div>
        </div>
      </div>
      <Query query={pending} label="Loading approvals">
        {(data) =>
          data.items.length === 0 ? (
            <div className="card">
              <Empty title="Nothing waits for you">
                <p>
                  When a release is promoted to an environment whose approval policy names you (or your role), it shows up here
                  and in your notifications.
                </p>
              </Empty>
            </div>
          ) : (
            <ul className="grid" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Pending approvals">
              {data.items.map(({ deployment: d, approval }) => {
                const got = approval.groups.reduce((n, g) => n + Math.min(g.approvedBy.length, g.required), 0);
                const need = approval.groups.reduce((n, g) => n + g.required, 0);
                return (
                  <li key={d.id} className="card" style={{ display: "flex", gap: 12, alignItems: "center", flexWrap: "wrap" }}>
                    <Status status="pending_approval">
                      {got} of {need}
                    </Status>
                    <div style={{ flex: 1, minWidth: 200 }}>
                      <strong>
                        {d.project}: <span className="mono">{d.release}</span> → {d.environment}
                      </strong>
                      <div className="muted">
                        requested <RelTime at={d.createdAt} />
                        {d.createdBy ? ` by ${d.createdBy}` : ""}
                        {approval.expiresAt ? (
                          <>
                            {" "}
                            · expires <RelTime at={approval.expiresAt} />
                          </>
                        ) : null}
                      </div>
                    </div>
                    <Link className="button primary" to={`/approvals/${d.id}`}>
                      Review {d.release}
                    </Link>
                  </li>
                );
              })}
            </ul>
          )
        }
      </Query>
    </>
  );
}
