import { useEffect } from "react";
import { Link, useParams } from "react-router";
import { type Run, useRuns } from "../api/runs.ts";
import { EnvStatusFilters, useEnvStatusFilter } from "../components/EnvStatusFilters.tsx";
import { Pager, useCursor } from "../components/Pager.tsx";
import { RunStatus } from "../components/RunStatus.tsx";
import { Empty, Query } from "../components/States.tsx";
import { Duration, RelTime } from "../components/Time.tsx";

const STATUSES = ["running", "succeeded", "failed", "unknown"] as const;

export default function Runs() {
  const { slug = "" } = useParams();
  const cursor = useCursor();
  const filter = useEnvStatusFilter();
  const environment = filter.environment;
  const status = filter.status;
  const list = useRuns(slug, { cursor, environment, status });
  useEffect(() => {
    document.title = `Runs · ${slug} · stagegate`;
  }, [slug]);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Runs</h1>
          <div className="meta">Pipeline runs of {slug}: logs of every node, GPU metrics, alerts and Spark diagnoses.</div>
        </div>
      </div>
      <EnvStatusFilters slug={slug} statuses={STATUSES} />
      <Query query={list} label="Loading runs">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title={environment || status ? "No run matches these filters" : "No runs yet"}>
                <p>Every deployment creates a run; any job can create one and send its logs:</p>
                <pre>{`stagegate run create --project ${slug} --name nightly-etl --environment <environment>`}</pre>
              </Empty>
            </div>
          ) : (
            <>
              <RunTable items={page.items} />
              <Pager nextCursor={page.nextCursor} label="runs" />
            </>
          )
        }
      </Query>
    </>
  );
}

function RunTable({ items }: { items: Run[] }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Run</th>
            <th scope="col">Environment</th>
            <th scope="col" className="hide-narrow">
              Release
            </th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="hide-narrow">
              Started
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td>
                <RunStatus status={r.status} />
              </td>
              <td style={{ overflowWrap: "anywhere" }}>
                <Link to={`/runs/${r.id}`}>{r.name}</Link>
              </td>
              <td>{r.environment ?? <span className="muted">—</span>}</td>
              <td className="mono hide-narrow">{r.releaseVersion ?? <span className="muted">—</span>}</td>
              <td className="num">
                <Duration ms={r.durationMs} />
              </td>
              <td className="hide-narrow">
                <RelTime at={r.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
