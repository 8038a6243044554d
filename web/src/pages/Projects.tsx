import { useEffect } from "react";
import { Link } from "react-router";
import { useProjectSummaries } from "../api/hooks.ts";
import { Pager, useCursor } from "../components/Pager.tsx";
import { Empty, Query } from "../components/States.tsx";
import { labelOf, StatusChip } from "../components/Status.tsx";
import { RelTime } from "../components/Time.tsx";

export function Projects() {
  const cursor = useCursor();
  const summaries = useProjectSummaries(cursor);
  useEffect(() => {
    document.title = "Projects · stagegate";
  }, []);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Projects</h1>
          <div className="meta">What runs in each environment, left to right in lifecycle order.</div>
        </div>
      </div>
      <Query query={summaries} label="Loading projects">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title="No projects yet">
                <p>Describe your pipeline in a stagegate.yaml and apply it:</p>
                <pre>{"stagegate project apply -f stagegate.yaml"}</pre>
                <p>Environments, gates and approvals come from that file; releases and reports arrive from CI.</p>
              </Empty>
            </div>
          ) : (
            <>
              <ul aria-label="Projects" style={{ listStyle: "none", padding: 0, margin: 0 }} className="grid">
                {page.items.map((p) => (
                  <li key={p.slug} className="card">
                    <div className="card-head">
                      <h2>
                        <Link to={`/p/${p.slug}`}>{p.name}</Link>
                      </h2>
                      <code className="muted">{p.slug}</code>
                      <span className="spacer" />
                      {p.repoUrl ? (
                        <a href={p.repoUrl} className="muted hide-narrow" rel="noreferrer" target="_blank">
                          {p.repoUrl.replace(/^https?:\/\//, "")}
                        </a>
                      ) : null}
                    </div>
                    {p.environments.length === 0 ? (
                      <p className="muted">No environments: add them under `environments:` in stagegate.yaml.</p>
                    ) : (
                      <ul
                        className="chips"
                        aria-label={`Environments of ${p.name}`}
                        style={{ listStyle: "none", padding: 0, margin: 0 }}
                      >
                        {p.environments.map((env, i) => (
                          <li key={env.name} style={{ display: "flex", alignItems: "center", gap: 6 }}>
                            {i > 0 ? (
                              <span aria-hidden="true" className="muted">
                                →
                              </span>
                            ) : null}
                            <StatusChip
                              status={env.status ?? "none"}
                              title={`${env.name}: ${env.status ? labelOf(env.status) : "nothing deployed"}`}
                            >
                              <strong>{env.name}</strong>
                              <code>{env.version ?? "—"}</code>
                              {env.at ? (
                                <span className="muted hide-narrow">
                                  <RelTime at={env.at} />
                                </span>
                              ) : null}
                            </StatusChip>
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
              <Pager nextCursor={page.nextCursor} label="projects" />
            </>
          )
        }
      </Query>
    </>
  );
}
