import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { useReleases } from "../api/hooks.ts";
import { DataTable } from "../components/DataTable.tsx";
import { useCursor } from "../components/Pager.tsx";
import { Sha } from "../components/Sha.tsx";
import { Empty, Query } from "../components/States.tsx";
import { RelTime } from "../components/Time.tsx";

export default function Releases() {
  const { slug = "" } = useParams();
  const cursor = useCursor();
  const releases = useReleases(slug, cursor);
  useEffect(() => {
    document.title = `Releases · ${slug} · stagegate`;
  }, [slug]);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Releases</h1>
          <div className="meta">Immutable builds of {slug}, newest first.</div>
        </div>
      </div>
      <Query query={releases} label="Loading releases">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title="No releases yet">
                <p>Register one from CI for each build that may ship:</p>
                <pre>{`stagegate release create --project ${slug} --version 1.0.0 --commit $GIT_SHA --branch main`}</pre>
              </Empty>
            </div>
          ) : (
            <DataTable
              label="Releases"
              rows={page.items}
              rowKey={(r) => r.version}
              pages={{ nextCursor: page.nextCursor, label: "releases" }}
              columns={[
                {
                  header: "Version",
                  cell: (r) => (
                    <>
                      <Link className="mono" to={`/p/${slug}/releases/${encodeURIComponent(r.version)}`}>
                        {r.version}
                      </Link>
                      {r.notes ? (
                        <div className="muted" style={{ fontSize: 12 }}>
                          {r.notes.split("\n")[0]?.slice(0, 80)}
                        </div>
                      ) : null}
                    </>
                  ),
                },
                { header: "Commit", cell: (r) => <Sha sha={r.commitSha} /> },
                { header: "Branch", hideNarrow: true, cell: (r) => <code>{r.branch}</code> },
                { header: "By", hideNarrow: true, cell: (r) => r.createdBy ?? "—" },
                { header: "Created", cell: (r) => <RelTime at={r.createdAt} /> },
              ]}
            />
          )
        }
      </Query>
    </>
  );
}
